from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('kashflow.connection|refresh_all',
                    "Refresh KashFlow Integration Data"),
                ('account.invoice|kashflow_retry_due',
                    "Retry KashFlow Publications"),
                ])
