import ChildProcesses
import Foundation
import TestSupport
import Testing

/// The shipped scrape config, alert rules, Alertmanager config and dashboard on the real programs: the exporter in
/// demo mode, Prometheus and Alertmanager, all on loopback ports picked free. Grafana is not packaged here, so its
/// part is proven through the queries it would run: every dashboard expression, variables substituted as Grafana
/// does, must evaluate without error and return data; and the failed-run alert must fire and reach Alertmanager.
@Suite(.requires(.prometheus, .alertmanager))
struct LivePrometheusTests {
    /// Bounds the wait for scrapes, rule evaluations and the demo's runs to move (the demo fails a run ~30 s in).
    static let patience: Duration = .seconds(90)

    @Test(.timeLimit(.minutes(3)))
    func dashboardQueriesAndFailedRunAlertOnRealPrometheus() async throws {
        let exporter = try #require(Program.exporter.path, Comment(rawValue: Program.exporter.missing))
        let directory = try TemporaryDirectory(prefix: "grafana-tests")
        defer { directory.remove() }
        let ports = try LoopbackPort.free(count: 3)
        let (exporterPort, prometheusPort, alertmanagerPort) = (ports[0], ports[1], ports[2])

        let config = directory.url.appending(path: "prometheus.yml")
        try Self.prometheusConfig(exporter: exporterPort, alertmanager: alertmanagerPort)
            .write(to: config, atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: RepositoryFiles.alertRules,
                                         to: directory.url.appending(path: "alerts.yml"))
        let logs = directory.url
        let data = directory.url.appending(path: "data")

        var children: [SpawnedProcess] = []
        do {
            children.append(try SpawnedProcess(exporter, ["--demo", "--web.listen-address=127.0.0.1:\(exporterPort)"],
                                           name: "runstatus-exporter", logDirectory: logs))
            children.append(try SpawnedProcess(Program.alertmanager.path ?? "alertmanager", [
                "--config.file=\(RepositoryFiles.alertmanagerConfig.path)",
                "--storage.path=\(data.appending(path: "alertmanager").path)",
                "--web.listen-address=127.0.0.1:\(alertmanagerPort)",
                "--cluster.listen-address=",  // no gossip port: a single instance
                "--log.level=warn",
            ], name: "alertmanager", logDirectory: logs))
            children.append(try SpawnedProcess(Program.prometheus.path ?? "prometheus", [
                "--config.file=\(config.path)",
                "--storage.tsdb.path=\(data.appending(path: "prometheus").path)",
                "--web.listen-address=127.0.0.1:\(prometheusPort)",
                "--log.level=warn",
            ], name: "prometheus", logDirectory: logs))
            try await Self.check(children: children,
                                 exporter: PrometheusAPI(base: URL(string: "http://127.0.0.1:\(exporterPort)")!),
                                 prometheus: PrometheusAPI(base: URL(string: "http://127.0.0.1:\(prometheusPort)")!),
                                 alertmanager: PrometheusAPI(base: URL(string: "http://127.0.0.1:\(alertmanagerPort)")!))
        } catch {
            await Self.stop(children)
            throw error
        }
        await Self.stop(children)
    }

    static func check(children: [SpawnedProcess], exporter: PrometheusAPI, prometheus: PrometheusAPI,
                      alertmanager: PrometheusAPI) async throws {
        let started = ContinuousClock.now
        let deadline = started + patience
        let dashboard = try Dashboard.load()
        for (server, path) in [(exporter, "metrics"), (alertmanager, "-/ready"), (prometheus, "-/ready")] {
            while !(await server.answers(path)) {
                try requireRunning(children)
                guard ContinuousClock.now < deadline else {
                    Issue.record("\(server.base)/\(path) never answered 200\n\(logTails(children))")
                    return
                }
                try await Task.sleep(for: .milliseconds(200))
            }
        }

        var pending = dashboard.queries  // not yet seen returning data
        var failed: [String] = []  // evaluated with an error: waiting cannot fix those
        var alertFiring = false, alertReceived = false
        var variableValues: [String: [String]] = [:]
        while ContinuousClock.now < deadline {
            try requireRunning(children)
            variableValues = try await resolveVariables(dashboard, on: prometheus)
            if !variableValues.isEmpty {
                var stillPending: [Dashboard.Query] = []
                for query in pending {
                    let expr = Dashboard.interpolate(query.expr, values: variableValues)
                    let answer = try await prometheus.query(expr, instant: query.instant)
                    if answer.status != "success" {
                        failed.append("\(query.name): \(answer.errorType ?? "") \(answer.error ?? "")\n  \(expr)")
                    } else if answer.data?.hasFiniteSample != true {
                        stillPending.append(query)
                    }
                }
                pending = stillPending
            }
            if !alertFiring {
                alertFiring = try await prometheus.alerts().data?.alerts.contains {
                    $0.labels["alertname"] == "RunstatusRunFailed" && $0.state == "firing"
                } ?? false
            }
            if alertFiring, !alertReceived {
                alertReceived = try await alertmanager.receivedAlerts().contains {
                    $0.labels["alertname"] == "RunstatusRunFailed"
                }
            }
            if (pending.isEmpty && alertReceived) || !failed.isEmpty { break }
            try await Task.sleep(for: .seconds(2))
        }

        let elapsed = ContinuousClock.now - started
        if !failed.isEmpty {
            Issue.record("dashboard queries Prometheus rejected (stopped waiting for the rest):\n\(failed.joined(separator: "\n"))")
        } else if !pending.isEmpty {
            let list = pending.map { "\($0.name): \(Dashboard.interpolate($0.expr, values: variableValues))" }
            Issue.record("dashboard queries with no finite value within \(elapsed):\n\(list.joined(separator: "\n"))")
        }
        #expect(!variableValues.isEmpty, "the dashboard's variables found no values\n\(logTails(children))")
        #expect(alertFiring, "RunstatusRunFailed never reached firing within \(elapsed)\n\(logTails(children))")
        #expect(alertReceived || !alertFiring, "RunstatusRunFailed fired but never reached Alertmanager\n\(logTails(children))")
        if failed.isEmpty, pending.isEmpty, alertReceived {
            print("live check: \(dashboard.queries.count) dashboard queries all returned data, RunstatusRunFailed firing"
                  + " and in Alertmanager, after \(elapsed); variables: \(variableValues)")
        }
    }

    /// The values of each `label_values` variable, in dashboard order (a later one may use an earlier one), or
    /// none until every variable has some.
    static func resolveVariables(_ dashboard: Dashboard, on prometheus: PrometheusAPI) async throws -> [String: [String]] {
        var values: [String: [String]] = [:]
        for variable in dashboard.templating.list {
            guard let labelValues = variable.labelValues else { continue }
            let selector = Dashboard.interpolate(labelValues.selector, values: values)
            let answer = try await prometheus.labelValues(labelValues.label, matching: selector)
            try #require(answer.status == "success",
                         "variable \(variable.name): \(answer.error ?? "") for label_values(\(selector), \(labelValues.label))")
            guard let found = answer.data, !found.isEmpty else { return [:] }
            values[variable.name] = found
        }
        return values
    }

    /// The shipped prometheus.yml, pointed at the loopback ports and scraping and evaluating every second.
    /// Every replaced text must be there: a silently unchanged config would test nothing.
    static func prometheusConfig(exporter: UInt16, alertmanager: UInt16) throws -> String {
        var text = try RepositoryFiles.text(RepositoryFiles.prometheusConfig)
        for (old, new) in [("scrape_interval: 15s", "scrape_interval: 1s"),
                           ("evaluation_interval: 15s", "evaluation_interval: 1s"),
                           ("scrape_timeout: 10s", "scrape_timeout: 1s"),
                           (#""exporter:7979""#, "\"127.0.0.1:\(exporter)\""),
                           (#""alertmanager:9093""#, "\"127.0.0.1:\(alertmanager)\"")] {
            try #require(text.contains(old), "prometheus.yml no longer contains \(old)")
            text = text.replacingOccurrences(of: old, with: new)
        }
        return text
    }

    static func requireRunning(_ children: [SpawnedProcess]) throws {
        for child in children {
            if let status = child.exitStatus { throw ChildExited(name: child.name, status: status, log: child.logTail()) }
        }
    }

    struct ChildExited: Error, CustomStringConvertible {
        var name: String, status: Int32, log: String
        var description: String { "\(name) exited early with status \(status); its log ends:\n\(log)" }
    }

    static func logTails(_ children: [SpawnedProcess]) -> String {
        children.map { "--- \($0.name) log:\n\($0.logTail(lines: 15))" }.joined(separator: "\n")
    }

    /// In a task of its own: a cancelled test (time limit) must still end its children, and cancellation would
    /// cut the grace period's sleeps short.
    static func stop(_ children: [SpawnedProcess]) async {
        await Task {
            for child in children.reversed() { await child.stop() }
        }.value
    }
}
