"""The Publish wizard: many documents at once, with a report of what happened;
and Retry on a selection of publications, the same way."""
import trytond.config as config
from trytond.i18n import gettext, ngettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from ..publishing.slices import browse_sliced


class PublishStart(ModelView):
    __name__ = 'kashflow.publish.start'
    __string__ = "Publish to KashFlow"
    summary = fields.Text("Summary", readonly=True)


class PublishResult(ModelView):
    __name__ = 'kashflow.publish.result'
    __string__ = "Published to KashFlow"
    published = fields.Integer("Published", readonly=True)
    queued = fields.Integer("Publishing in the Background", readonly=True)
    failed = fields.Integer("Failed", readonly=True)
    skipped = fields.Integer("Already Published", readonly=True)
    report = fields.Text("Report", readonly=True)


class Publish(Wizard):
    __name__ = 'kashflow.publish'
    start = StateView('kashflow.publish.start',
        'dext_kashflow.publish_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Publish", 'publish', 'tryton-ok', default=True),
            ])
    publish = StateTransition()
    result = StateView('kashflow.publish.result',
        'dext_kashflow.publish_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    @property
    def selected(self):
        """The selected records, browsed a slice at a time (self.records
        browses them all together, a cost that grows with their square)"""
        ids = Transaction().context.get('active_ids') or []
        return browse_sliced(self.model, ids)

    def documents(self):
        "The documents selected"
        return self.selected

    def default_start(self, fields):
        invoices = self.documents()
        published = [i for i in invoices if i.kashflow_state == 'published']
        count = len(invoices) - len(published)
        summary = ngettext('dext_kashflow.msg_publish_wizard_summary', count,
            count=count)
        if published:
            summary += ' ' + ngettext(
                'dext_kashflow.msg_publish_wizard_summary_published',
                len(published), published=len(published))
        return {'summary': summary}

    def transition_publish(self):
        Invoice = Pool().get('account.invoice')
        documents = self.documents()
        invoices = [i for i in documents if i.kashflow_state != 'published']
        self.result.skipped = len(documents) - len(invoices)
        # The Publish button's check: the problems are shown on each document,
        # which the report below reads back, and only the others are sent.
        if config.getboolean('queue', 'worker', default=False):
            queued, problems = Invoice.kashflow_queue_checked(invoices)
            self.result.queued = queued
            self.result.published = 0
            self.result.failed = len(problems)
            self.result.report = '\n\n'.join([ngettext(
                        'dext_kashflow.msg_publish_wizard_queued', queued,
                        count=queued)]
                + [f'{name}: ' + '\n'.join(invoice_problems)
                    for name, invoice_problems in problems])
            return 'result'
        ready, _ = Invoice.kashflow_checked(invoices)
        Invoice.kashflow_publish_now(ready)
        # The run committed in transactions of its own: read its outcome in
        # a new one, as this one may not see it.
        with Transaction().new_transaction(readonly=True):
            outcomes = [(i.rec_name, i.kashflow_state, i.kashflow_failure,
                    i.kashflow_message)
                for i in Invoice.browse([i.id for i in invoices])
                if i.kashflow_state != 'published']
        # "Publishing" without a failure: another run has it and goes on.
        running = [(name, gettext('dext_kashflow.msg_publish_wizard_running'))
            for name, state, failure, _ in outcomes
            if state == 'sending' and not failure]
        # "To Publish": held back while KashFlow asked us to slow down (publishing/pace.py).
        held = [(name, message) for name, state, _, message in outcomes
            if state == 'queued']
        failed = [(name, message) for name, state, failure, message in outcomes
            if (state != 'sending' or failure) and state != 'queued']
        self.result.published = len(invoices) - len(outcomes)
        self.result.queued = len(running) + len(held)
        self.result.failed = len(failed)
        self.result.report = '\n\n'.join(
            f'{name}: {reason}' for name, reason in failed + running + held) or ngettext(
            'dext_kashflow.msg_publish_wizard_all_done', self.result.published,
            count=self.result.published)
        return 'result'

    def default_result(self, fields):
        return {
            'published': self.result.published,
            'queued': self.result.queued,
            'failed': self.result.failed,
            'skipped': self.result.skipped,
            'report': self.result.report,
            }


class RetryPublications(Publish):
    "Retry, from the Publications list, the documents of the selected ones"
    __name__ = 'kashflow.publication.retry'

    def documents(self):
        Invoice = Pool().get('account.invoice')
        return browse_sliced(Invoice, [p.invoice.id for p in self.selected])
