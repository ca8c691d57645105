"""processos' use cases: `commands` change processes, `reads` answer questions about them,
`snapshots` give them whole, as their events carry them, to rebuild derived copies."""
