"""isc: the InterScan-to-SaaS policy compiler.

>>> import isc
>>> export = isc.loads("[global-url-blocking.block]\\n@bad.example*\\n", filename="p.ini")
>>> isc.decide_web(export, isc.WebRequest("http://www.bad.example/")).action
'block'
"""

from isc.api import (
    compile,
    decide_mail,
    decide_web,
    dumps,
    dumps_report,
    load,
    loads,
    optimize,
    verify,
)
from isc.diagnostics import Diagnostic, Severity
from isc.errors import IscError
from isc.ir import Decision, Export, Fidelity, MailMessage, Output, WebRequest
from isc.ir.common import Difference

__version__ = "0.1.0"

__all__ = [
    "Decision",
    "Diagnostic",
    "Difference",
    "Export",
    "Fidelity",
    "IscError",
    "MailMessage",
    "Output",
    "Severity",
    "WebRequest",
    "__version__",
    "compile",
    "decide_mail",
    "decide_web",
    "dumps",
    "dumps_report",
    "load",
    "loads",
    "optimize",
    "verify",
]
