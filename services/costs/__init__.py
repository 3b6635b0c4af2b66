"""Costs: one daily row shape for every provider, a versioned price table, a local store of daily
snapshots, the month's report with forecast and budget, and the seed's recommendations.

Qt-free. Money is ``Decimal`` and every stored row is whole cents, so every total adds up to the cent.
"""
