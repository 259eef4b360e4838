import Foundation
import Testing

/// grafana/dashboards/runstatus.json checked as JSON and as a dashboard that imports anywhere.
struct DashboardTests {
    /// The uid is what links and provisioning refer to: a change must be deliberate.
    static let uid = "runstatus-exporter"

    @Test func isValidJSONObject() throws {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: RepositoryFiles.dashboard))
        #expect(object is [String: Any])
    }

    @Test func hasStableUIDAndDatasourceInput() throws {
        let dashboard = try Dashboard.load()
        #expect(dashboard.uid == Self.uid)
        let input = dashboard.inputs?.first { $0.name == "DS_PROMETHEUS" }
        #expect(input?.type == "datasource" && input?.pluginId == "prometheus", "no DS_PROMETHEUS datasource input")
        // Provisioning skips __inputs: a datasource variable of the same name resolves ${DS_PROMETHEUS} there.
        #expect(dashboard.templating.list.contains { $0.name == "DS_PROMETHEUS" && $0.type == "datasource" },
                "no DS_PROMETHEUS datasource variable: provisioned copies would find no datasource")
    }

    @Test func panelIDsAreUnique() throws {
        let ids = try Dashboard.load().allPanels.map(\.id)
        #expect(!ids.contains(nil), "a panel without id")
        let duplicates = Dictionary(grouping: ids.compactMap { $0 }, by: { $0 }).filter { $0.value.count > 1 }.keys
        #expect(duplicates.isEmpty, "duplicate panel ids: \(duplicates.sorted())")
    }

    @Test func everyPanelHasDatasourceQueryAndPlace() throws {
        let panels = try Dashboard.load().allPanels
        #expect(panels.count(where: { $0.type != "row" }) >= 15)
        for panel in panels {
            let name = "panel \(panel.id ?? -1) \"\(panel.title ?? "")\""
            if let grid = panel.gridPos {
                #expect(grid.w > 0 && grid.h > 0 && grid.x >= 0 && grid.x + grid.w <= 24, "\(name): gridPos \(grid)")
            } else {
                Issue.record("\(name): no gridPos")
            }
            guard panel.type != "row" else { continue }
            #expect(panel.datasource?.uid == "${DS_PROMETHEUS}", "\(name): datasource \(String(describing: panel.datasource))")
            let targets = panel.targets ?? []
            #expect(!targets.isEmpty, "\(name): no query")
            for target in targets {
                #expect(target.expr?.trimmingCharacters(in: .whitespaces).isEmpty == false, "\(name): empty query")
                #expect(target.datasource == nil || target.datasource?.uid == "${DS_PROMETHEUS}",
                        "\(name) \(target.refId ?? ""): query datasource \(String(describing: target.datasource))")
            }
            let refIds = targets.compactMap(\.refId)
            #expect(Set(refIds).count == targets.count, "\(name): refIds missing or repeated: \(refIds)")
        }
    }

    @Test func vendorAndTargetVariablesComeFromLabelValues() throws {
        let variables = try Dashboard.load().templating.list
        for name in ["vendor", "target"] {
            let variable = variables.first { $0.name == name }
            #expect(variable?.labelValues?.label == name, "\(name): \(String(describing: variable?.query?.text))")
        }
    }

    @Test func everyVariableReferenceIsDefined() throws {
        let dashboard = try Dashboard.load()
        let defined = Set(dashboard.templating.list.map(\.name)).union(Dashboard.builtinVariables.keys)
        for query in dashboard.queries {
            let unknown = Dashboard.variableReferences(in: query.expr).subtracting(defined)
            #expect(unknown.isEmpty, "\(query.name) uses undefined \(unknown.sorted()): \(query.expr)")
        }
    }

    /// The dashboard's panels, by the metrics they must read.
    @Test func readsEveryMetricTheIssueAsksFor() throws {
        let exprs = try Dashboard.load().queries.map(\.expr).joined(separator: "\n")
        for metric in ["runstatus_runs", "runstatus_run_state", "runstatus_run_info", "runstatus_run_duration_seconds",
                       "runstatus_finished_run_duration_seconds_bucket", "runstatus_up", "runstatus_poll_errors_total",
                       "runstatus_poll_duration_seconds_bucket", "runstatus_last_poll_success_timestamp_seconds",
                       "process_resident_memory_bytes", "process_cpu_seconds_total", "runstatus_http_requests_total"] {
            #expect(exprs.contains(metric + "{"), "no query reads \(metric)")
        }
    }

    @Test func interpolatesLikeGrafana() {
        let expr = #"rate(x{vendor=~"$vendor", target=~"${target}"}[$__rate_interval])"#
        let out = Dashboard.interpolate(expr, values: ["vendor": ["rsa", "wes"], "target": ["a.b"]])
        #expect(out == #"rate(x{vendor=~"(rsa|wes)", target=~"a\\.b"}[20s])"#)
    }
}
