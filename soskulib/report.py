"""Former module, kept for backwards compatibility only: see :mod:`soskulib.compat`.

Its names now live in :mod:`soskulib.page`, :mod:`soskulib.site`, :mod:`soskulib.rendering`,
:mod:`soskulib.data_quality`, :mod:`soskulib.psychometrics` and beside the tables they
reshape (:mod:`soskulib.process`, :mod:`soskulib.outcomes`, :mod:`soskulib.frames`,
:mod:`soskulib.narrative`).
"""

from soskulib.compat import forwarder

__getattr__, __dir__ = forwarder("report")
