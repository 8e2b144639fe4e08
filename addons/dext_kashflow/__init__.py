# dext_kashflow: publish Tryton invoices to KashFlow, the way Dext Prepare does.
# Classes are registered from tryton.cfg ([register]).
