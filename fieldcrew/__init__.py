"""fieldcrew: the platform that carries the instruments.

Settings, storage, jobs, audit, import/export, the demo city and the ``fieldcrew`` command. The
instruments themselves live in ``timepool`` (work-hour pool), ``scheduler`` (rosters and
dispatch), ``quality`` (KPIs and grades) and ``payroll`` (monthly pay); ``api`` serves them.
"""

__version__ = "0.1.0"
