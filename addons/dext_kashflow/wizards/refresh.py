"The dialog Refresh Integration Data opens: it started, and how it stands."
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.wizard import Button, StateView, Wizard

from ..models.connection import REFRESH_STATES


class RefreshStarted(ModelView):
    __name__ = 'kashflow.connection.refresh.started'
    __string__ = "Refresh Integration Data"
    refresh_state = fields.Selection(REFRESH_STATES, "Refresh State", readonly=True)
    status = fields.Text("Status", readonly=True)
    refresh_summary = fields.Text(
        "Refresh Summary", readonly=True,
        states={'invisible': ~Eval('refresh_summary')})


class ShowRefresh(Wizard):
    __name__ = 'kashflow.connection.refresh.show'
    start = StateView('kashflow.connection.refresh.started',
        'dext_kashflow.refresh_started_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_start(self, fields):
        Connection = Pool().get('kashflow.connection')
        connection = Connection(self.record.id)
        state = connection.refresh_state
        status = gettext('dext_kashflow.msg_refresh_started')
        if state == 'done':
            status = gettext('dext_kashflow.msg_refresh_done',
                time=connection.last_refresh.strftime('%H:%M'))
        elif state == 'failed':
            status = gettext('dext_kashflow.msg_refresh_failed')
        return {
            'refresh_state': state,
            'status': status,
            'refresh_summary': (connection.refresh_summary
                if state in {'done', 'failed'} else None),
            }
