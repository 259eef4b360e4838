import Foundation
import Testing

/// docker-compose.yml, Grafana's provisioning files and prometheus.yml agree with each other. Read as text
/// (the toolchain has no YAML reader): each check names the line it looks for.
struct ProvisioningTests {
    static func value(of key: String, in text: String) -> String? {
        text.split(separator: "\n").lazy.compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix(key + ":") else { return nil }
            return trimmed.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)
        }.first
    }

    @Test func composeMountsWhatGrafanaProvisioningReads() throws {
        let compose = try RepositoryFiles.text(RepositoryFiles.compose)
        let provider = try RepositoryFiles.text(RepositoryFiles.dashboardProvisioning)
        let path = try #require(Self.value(of: "path", in: provider), "no path: in the dashboard provider")
        #expect(compose.contains("./dashboards:\(path)"), "compose does not mount ./dashboards at \(path)")
        #expect(compose.contains("./provisioning:/etc/grafana/provisioning"), "compose does not mount ./provisioning")
        let home = try #require(Self.value(of: "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH", in: compose))
        #expect(home == "\(path)/runstatus.json")
    }

    @Test func composeMountsPrometheusAndAlertmanagerConfigs() throws {
        let compose = try RepositoryFiles.text(RepositoryFiles.compose)
        #expect(compose.contains("./prometheus:/etc/prometheus"))
        #expect(compose.contains("--config.file=/etc/prometheus/prometheus.yml"))
        #expect(compose.contains("./alertmanager:/etc/alertmanager"))
        #expect(compose.contains("--config.file=/etc/alertmanager/alertmanager.yml"))
        #expect(compose.contains(#"["--demo""#), "the exporter does not run in demo mode")
    }

    /// Grafana derives $__rate_interval from the datasource's timeInterval: it must be the scrape interval.
    @Test func datasourceIntervalIsTheScrapeInterval() throws {
        let datasource = try RepositoryFiles.text(RepositoryFiles.datasourceProvisioning)
        let prometheus = try RepositoryFiles.text(RepositoryFiles.prometheusConfig)
        let timeInterval = try #require(Self.value(of: "timeInterval", in: datasource))
        #expect(timeInterval == Self.value(of: "scrape_interval", in: prometheus))
        #expect(Self.value(of: "url", in: datasource) == "http://prometheus:9090")
    }
}
