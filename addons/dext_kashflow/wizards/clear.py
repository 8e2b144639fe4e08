"""Clear KashFlow Publication: first say whether KashFlow still has the
document, then forget the publication only if the administrator confirms."""
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.transaction import without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from kashflow.errors import KashFlowError, NotFoundError

from ..publishing.prepare import company_connection
from ..publishing.sides import SIDES, call


class ClearStart(ModelView):
    __name__ = 'kashflow.clear.start'
    __string__ = "Clear KashFlow Publication"
    in_kashflow = fields.Text("In KashFlow", readonly=True)


class Clear(Wizard):
    __name__ = 'kashflow.clear'
    start = StateView('kashflow.clear.start',
        'dext_kashflow.clear_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel', default=True),
            Button("Clear", 'clear', 'tryton-ok'),
            ])
    clear = StateTransition()

    def default_start(self, fields):
        Invoice = Pool().get('account.invoice')
        # No question when it cannot be cleared now.
        publications = Invoice.kashflow_check_not_running(self.records)
        return {
            'in_kashflow': '\n\n'.join(
                in_kashflow(invoice, publications.get(invoice.id))
                for invoice in self.records),
            }

    def transition_clear(self):
        Invoice = Pool().get('account.invoice')
        Invoice.kashflow_forget(self.records)
        return 'end'


def in_kashflow(invoice, publication):
    "Whether KashFlow still has what invoice was published as, in words"
    name = invoice.rec_name
    if not publication or publication.state == 'cleared':
        return gettext('dext_kashflow.msg_clear_nothing', invoice=name)
    number = publication.kashflow_number
    if not number:
        return gettext('dext_kashflow.msg_clear_no_number', invoice=name)
    side = SIDES[publication.kind]
    kind = side.words
    with without_check_access():
        connection = publication.connection or company_connection(invoice.company)
        if not connection or connection.state != 'connected':
            return gettext(f'dext_kashflow.msg_clear_unknown_{kind}',
                invoice=name, number=number,
                reason=gettext('dext_kashflow.msg_publish_not_connected'))
        try:
            with connection.client() as client:
                call(client, side, 'get_document', number)
        except NotFoundError:
            return gettext(f'dext_kashflow.msg_clear_gone_{kind}',
                invoice=name, number=number)
        except KashFlowError as error:
            return gettext(f'dext_kashflow.msg_clear_unknown_{kind}',
                invoice=name, number=number, reason=str(error))
    return gettext(f'dext_kashflow.msg_clear_still_{kind}',
        invoice=name, number=number)
