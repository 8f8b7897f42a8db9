"""Google connectors for okrkit: ``sheets`` (a Google Sheets cell or range sum) and ``ga4`` (a
Google Analytics 4 metric's total over a window).

Both are registered under the ``okrkit.connectors`` entry-point group; google-api-python-client
is imported only when they fetch. Credentials: a service account's JSON key file
(``service_account_file``), or for a public sheet an API key (``api_key: ${GOOGLE_API_KEY}``).
"""

from importlib.metadata import PackageNotFoundError, version

from okrkit_google._google import GoogleConnector, HttpFactory, default_http
from okrkit_google.ga4 import Ga4Connector, Ga4Settings
from okrkit_google.sheets import SheetsConnector, SheetsSettings

try:
    __version__ = version("okrkit-google")
except PackageNotFoundError:  # pragma: no cover  # running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "Ga4Connector",
    "Ga4Settings",
    "GoogleConnector",
    "HttpFactory",
    "SheetsConnector",
    "SheetsSettings",
    "__version__",
    "default_http",
]
