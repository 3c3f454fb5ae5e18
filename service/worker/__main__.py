"""`python -m service.worker`: what `advisor serve` starts beside the API."""

from service.config import get_settings
from service.worker.main import run_worker

run_worker(get_settings())
