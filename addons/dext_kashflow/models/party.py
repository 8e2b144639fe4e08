"Find the KashFlow supplier or customer a party stands for."
from trytond.pool import Pool, PoolMeta
from trytond.transaction import inactive_records


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    def kashflow_supplier(self, connection):
        "The KashFlow supplier linked to the party, even when deactivated"
        return self.kashflow_partner('kashflow.supplier', connection)

    def kashflow_customer(self, connection):
        "The KashFlow customer linked to the party, even when deactivated"
        return self.kashflow_partner('kashflow.customer', connection)

    def kashflow_partner(self, model, connection):
        "The record of model (kashflow.supplier or customer) linked to the party"
        Model = Pool().get(model)
        with inactive_records():
            partners = Model.search([
                    ('connection', '=', connection.id),
                    ('party', '=', self.id),
                    ], order=[('active', 'DESC'), ('id', 'ASC')], limit=1)
        return partners[0] if partners else None


class Replace(metaclass=PoolMeta):
    __name__ = 'party.replace'

    @classmethod
    def fields_to_replace(cls):
        return super().fields_to_replace() + [
            ('kashflow.supplier', 'party'),
            ('kashflow.customer', 'party'),
            ]
