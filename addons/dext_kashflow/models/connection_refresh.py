"""Refresh Integration Data says where it is pressed that it started, and how
it stands (wizards/refresh.py); the refresh itself is in connection.py."""
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
