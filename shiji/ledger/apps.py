from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "shiji.ledger"
    label = "ledger"
