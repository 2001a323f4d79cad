"""Every background loop of the evaluation service: none of its own.

The service projects events (`subscribers.py`) and answers HTTP; it scans, sweeps and
dispatches nothing on a timer. The loops its process runs are the kit's, started by `Runtime`:
the outbox relay (it publishes `gr.evaluation.v1.published...` after commit) and the
consumers' lag watch. A loop this service comes to need is declared here and started by `main.py`.
"""
