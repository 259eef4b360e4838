import ChildProcesses

/// The Grafana tests' name for a spawned child (prometheus, alertmanager, promtool, the exporter).
typealias Subprocess = SpawnedProcess
