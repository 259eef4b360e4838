import Foundation
import TestSupport

/// The shipped files under grafana/.
enum RepositoryFiles {
    static let grafana = Repository.root.appending(path: "grafana")
    static let prometheusConfig = grafana.appending(path: "prometheus/prometheus.yml")
    static let alertRules = grafana.appending(path: "prometheus/alerts.yml")
    static let alertRuleTests = grafana.appending(path: "prometheus/alerts_test.yml")
    static let alertmanagerConfig = grafana.appending(path: "alertmanager/alertmanager.yml")
    static let dashboard = grafana.appending(path: "dashboards/runstatus.json")
    static let datasourceProvisioning = grafana.appending(path: "provisioning/datasources/prometheus.yml")
    static let dashboardProvisioning = grafana.appending(path: "provisioning/dashboards/runstatus.yml")
    static let compose = grafana.appending(path: "docker-compose.yml")

    static func text(_ file: URL) throws -> String {
        try String(contentsOf: file, encoding: .utf8)
    }
}
