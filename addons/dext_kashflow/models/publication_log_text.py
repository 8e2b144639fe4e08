"""The publication log's Sent and Received, laid out for people to read:
one "key: value" line per value rather than the JSON it is stored as."""
import json

from trytond.model import fields
from trytond.pool import PoolMeta


class PublicationLog(metaclass=PoolMeta):
    __name__ = 'kashflow.publication.log'

    sent_text = fields.Function(fields.Text("Sent"), 'get_text')
    received_text = fields.Function(fields.Text("Received"), 'get_text')

    def get_text(self, name):
        return readable(getattr(self, name[:-len('_text')]))


def readable(stored):
    "The stored text laid out as lines; text that is not JSON is kept as it is"
    if not stored:
        return stored
    try:
        value = json.loads(stored)
    except ValueError:
        return stored
    return '\n'.join(_lines(value)) if isinstance(value, (dict, list)) else str(value)


def _lines(value, indent=''):
    if isinstance(value, dict):
        for key, item in value.items():
            label = str(key).replace('_', ' ')
            if isinstance(item, (dict, list)) and item:
                yield f'{indent}{label}:'
                yield from _lines(item, indent + '    ')
            else:
                yield f'{indent}{label}: {_scalar(item)}'
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                yield f'{indent}-'
                yield from _lines(item, indent + '    ')
            else:
                yield f'{indent}- {_scalar(item)}'
    else:
        yield f'{indent}{_scalar(value)}'


def _scalar(value):
    if value is None or value == [] or value == {}:
        return ''
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    return str(value)
