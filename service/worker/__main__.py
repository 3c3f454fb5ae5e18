"""`python -m service.worker`: what `advisor serve` starts beside the API."""

import sys

from service.config import get_settings
from service.errors import AdvisorError
from service.worker.main import run_worker

try:
    run_worker(get_settings())
except AdvisorError as exc:
    print(f"error: {exc.message}", file=sys.stderr)
    sys.exit(2)
