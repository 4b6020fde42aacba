"""The shared vocabulary of fieldcrew.

Branches, areas, technicians, order types, work orders, calendars and money: the words every
instrument (``timepool``, ``scheduler``, ``quality``, ``payroll``, ``api``) speaks. This package
imports none of them.
"""
