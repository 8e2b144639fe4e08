"""kashflow.connection a second time: the Refresh button opens the dialog that
says the refresh started and how it stands (wizards/refresh.py).

The refresh's one entry point is in models/connection.py (refresh,
queue_refresh, sync_lists), which calls sync/ for the work. This file only
adds the dialog to the button; it is to be folded into Connection.refresh
there, and removed with its line in tryton.cfg.
"""
from trytond.model import ModelView
from trytond.pool import Pool, PoolMeta


class Connection(metaclass=PoolMeta):
    __name__ = 'kashflow.connection'

    @classmethod
    @ModelView.button
    def refresh(cls, connections):
        super().refresh(connections)
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Action = pool.get('ir.action')
        return Action.get_action_id(
            ModelData.get_id('dext_kashflow', 'wizard_refresh_started'))
