"""Kernels of the runner talk over Unix sockets, so kernels started at once cannot share a port."""

from __future__ import annotations

import asyncio
import os

from wmp_analysis.pipeline.execute import ipc_kernel_manager_class


def test_two_kernels_started_at_once_use_their_own_unix_sockets():
    cls = ipc_kernel_manager_class()
    managers = [cls(kernel_name="python3") for _ in range(2)]

    async def run(km):
        await km.start_kernel()
        client = km.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            reply = await client.execute_interactive("x = 6 * 7", timeout=60)
            assert reply["content"]["status"] == "ok"
            info = km.get_connection_info()
            sockets = [f"{info['ip']}-{info[k]}" for k in ("shell_port", "hb_port", "iopub_port")]
            return info["transport"], info["ip"], all(os.path.exists(s) for s in sockets)
        finally:
            client.stop_channels()
            await km.shutdown_kernel(now=True)

    async def both():
        return await asyncio.gather(*(run(km) for km in managers))

    got = asyncio.run(both())
    assert [g[0] for g in got] == ["ipc", "ipc"]
    assert got[0][1] != got[1][1]  # each kernel its own folder
    assert all(g[2] for g in got)  # the sockets existed while the kernels ran
    assert not any(os.path.exists(os.path.dirname(g[1])) for g in got)  # removed with the kernel
