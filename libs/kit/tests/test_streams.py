"""The pinned nats-server and the durability settings of the streams that keep records."""

from __future__ import annotations

import re

import nats
import pytest
from nats.js.errors import APIError

from grassroots.contracts.streams import ALL_STREAMS, EVALUATION, MEMBERS, REQUESTS
from grassroots.kit.messaging import ensure_streams
from grassroots.kit.testing.servers import NatsServer, find_nats_server, nats_server_version


def test_the_harness_runs_the_pinned_server_not_debians() -> None:
    version = re.search(r"v(\d+)\.(\d+)\.(\d+)", nats_server_version())
    assert version, nats_server_version()
    assert tuple(int(part) for part in version.groups()) >= (2, 11, 0)
    assert not find_nats_server().startswith("/usr/")


@pytest.mark.component
async def test_streams_of_requests_and_members_refuse_deletes_and_purges(
    nats_server: NatsServer,
) -> None:
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    try:
        await ensure_streams(js)
        for spec in ALL_STREAMS:
            config = (await js.stream_info(spec.name)).config
            assert config.num_replicas == 1
            assert config.deny_purge is config.deny_delete is spec.keeps_records
        assert MEMBERS.keeps_records and REQUESTS.keeps_records
        ack = await js.publish("gr.requests.v1.submitted.23.03.21.100.201.001", b"{}")
        with pytest.raises(APIError):
            await js.purge_stream(REQUESTS.name)
        with pytest.raises(APIError):
            await js.delete_msg(REQUESTS.name, ack.seq)
        assert (await js.stream_info(REQUESTS.name)).state.messages == 1
        await js.purge_stream(EVALUATION.name)
    finally:
        await nc.close()
