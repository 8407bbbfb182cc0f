"""Every write of the coordination domain goes through a function of this package.

``events`` (events, agenda, invitations), ``registrations`` (registration, waiting list,
attendance, participant list), ``documents`` (papers and minutes), ``calendars`` (feeds and
their tokens), ``actions`` (recommendations, plans, actions, progress) and ``transfer`` (plan
import and export). Each validates, writes in one transaction, audits personal data in that
transaction and enqueues e-mail on commit; errors are ``Problem``s naming the field.
"""
