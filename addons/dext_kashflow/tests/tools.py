"Helpers for the scenarios: an in-process mock KashFlow and its control API."
import logging
import socket

import requests

from mock_kashflow import ThreadedMockServer

TIMEOUT = 10


class MockKashFlow:
    "A mock KashFlow server on a free port, with one shortcut per control call"

    def __init__(self):
        logging.getLogger('werkzeug').setLevel(logging.ERROR)
        self.server = ThreadedMockServer().start()
        self.url = self.server.url
        self.service_url = self.server.service_url

    def stop(self):
        self.server.stop()

    def _call(self, method, path, json=None):
        response = requests.request(
            method, f'{self.url}/_mock/{path}', json=json, timeout=TIMEOUT)
        response.raise_for_status()
        return response.json()

    def create_account(self, username, password, seed='demo'):
        "Create an account and return its AutoAuth key"
        return self._call('POST', 'accounts', {
                'username': username, 'password': password, 'seed': seed,
                })['autoauth_key']

    def account(self, username):
        return self._call('GET', f'accounts/{username}')

    def settings(self, username, **values):
        return self._call('PATCH', f'accounts/{username}/settings', values)

    def add(self, username, collection, records):
        return self._call(
            'POST', f'accounts/{username}/{collection}', records)['ids']

    def update(self, username, collection, record_id, **values):
        return self._call(
            'PATCH', f'accounts/{username}/{collection}/{record_id}', values)

    def delete(self, username, collection, record_id):
        return self._call(
            'DELETE', f'accounts/{username}/{collection}/{record_id}')


def closed_port_url():
    "A service URL on which nothing listens"
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    return f'http://127.0.0.1:{port}/api/service.asmx'
