"""What happened to the document a person published: shown to them at once,
in a small dialog over the form, by the Publish and Retry buttons."""
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pyson import Eval
from trytond.wizard import Button, StateView, Wizard

from ..models.publication import FAILURES


class PublishOutcome(ModelView):
    __name__ = 'kashflow.publish.outcome'
    __string__ = "Publish to KashFlow"
    outcome = fields.Text("Outcome", readonly=True)
    url = fields.Char(
        "KashFlow Link", readonly=True,
        states={'invisible': ~Eval('url')})
    message = fields.Text(
        "KashFlow Message", readonly=True,
        states={'invisible': ~Eval('message')})
    hint = fields.Text(
        "How to Fix", readonly=True,
        states={'invisible': ~Eval('hint')})

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            (f'//separator[@name="{name}"]', 'states', {
                    'invisible': ~Eval(name)})
            for name in ['message', 'hint']]


class ShowPublishOutcome(Wizard):
    __name__ = 'kashflow.publish.show_outcome'
    start = StateView('kashflow.publish.outcome',
        'dext_kashflow.publish_outcome_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_start(self, fields):
        # A request of its own, after the button's: it reads what the
        # publisher committed.
        return outcome(self.record)


def outcome(invoice):
    "The outcome fields for invoice, as its publication now stands"
    state, failure = invoice.kashflow_state, invoice.kashflow_failure
    values = {'url': None, 'message': None, 'hint': None}
    if state == 'published':
        values['outcome'] = gettext(
            'dext_kashflow.msg_outcome_published_purchase'
            if invoice.type == 'in'
            else 'dext_kashflow.msg_outcome_published_sale',
            number=invoice.kashflow_number)
        values['url'] = invoice.kashflow_url
        # Published, but a file may be missing in KashFlow.
        values['message'] = invoice.kashflow_warning
    elif failure:
        values['outcome'] = gettext(
            'dext_kashflow.msg_outcome_unclear' if failure == 'unclear'
            else 'dext_kashflow.msg_outcome_failed',
            failure=dict(FAILURES)[failure])
        values['message'] = invoice.kashflow_message
        values['hint'] = invoice.kashflow_hint
    elif state == 'sending':
        values['outcome'] = gettext('dext_kashflow.msg_publish_wizard_running')
    else:
        values['outcome'] = gettext('dext_kashflow.msg_outcome_queued')
    return values
