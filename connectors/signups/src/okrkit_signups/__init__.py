"""okrkit connectors for sign-up counts: ``mailchimp`` (audiences) and ``kit`` (Kit, formerly
ConvertKit, subscribers).

Both call their vendor's API through ``context.http``, so the refresh's timeouts, per-host rate
limits and error mapping apply, and both are windowed: a key result with ``window: 7d`` counts
the sign-ups of the last 7 days. Credentials are settings written as ``${ENV_VAR}``.
"""

from okrkit_signups.kit import KitConnector, KitSettings
from okrkit_signups.mailchimp import MailchimpConnector, MailchimpSettings

__all__ = ["KitConnector", "KitSettings", "MailchimpConnector", "MailchimpSettings"]
