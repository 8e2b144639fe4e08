"""The KashFlow document a publication would send, opened from the invoice
before publishing: made by the code that publishes (publishing/prepare.py),
shown as publishing/preview.py words it."""
from trytond.model import ModelView, fields
from trytond.pyson import Eval
from trytond.transaction import without_check_access
from trytond.wizard import Button, StateView, Wizard

from ..publishing.prepare import company_connection, prepare
from ..publishing.preview import bullets, describe


class PreviewShow(ModelView):
    __name__ = 'kashflow.preview.show'
    __string__ = "KashFlow Document"
    document = fields.Text("KashFlow Document", readonly=True)
    problems = fields.Text(
        "Publishing Errors", readonly=True,
        states={'invisible': ~Eval('problems')})
    notes = fields.Text(
        "Changed for KashFlow", readonly=True,
        states={'invisible': ~Eval('notes')})


class Preview(Wizard):
    __name__ = 'kashflow.preview'
    start = StateView('kashflow.preview.show',
        'dext_kashflow.preview_show_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_start(self, fields):
        invoice = self.record
        with without_check_access():
            connection = company_connection(invoice.company)
            prepared = prepare(invoice, connection)
            return {
                'document': describe(invoice, connection, prepared),
                'problems': bullets(prepared.problems),
                'notes': bullets(prepared.notes),
                }
