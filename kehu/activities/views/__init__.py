"""Pages of activities: the follow-up panel of the customer page and its forms (records.py),
the agenda, calendar, notification centre and team view (agenda.py)."""
