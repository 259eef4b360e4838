import Foundation

/// The parts of a Grafana dashboard JSON the tests read: panels (rows may nest theirs), their queries,
/// template variables and annotation queries.
struct Dashboard: Decodable, Sendable {
    var uid: String?
    var title: String?
    var panels: [Panel]
    var templating: Templating
    var annotations: Annotations?
    var inputs: [Input]?

    enum CodingKeys: String, CodingKey {
        case uid, title, panels, templating, annotations
        case inputs = "__inputs"
    }

    struct Input: Decodable, Sendable {
        var name: String
        var type: String
        var pluginId: String?
    }

    struct DataSourceRef: Decodable, Sendable {
        var type: String?
        var uid: String?
    }

    struct GridPos: Decodable, Sendable {
        var x: Int, y: Int, w: Int, h: Int
    }

    struct Panel: Decodable, Sendable {
        var id: Int?
        var type: String
        var title: String?
        var datasource: DataSourceRef?
        var gridPos: GridPos?
        var targets: [Target]?
        /// A collapsed row keeps its panels here.
        var panels: [Panel]?
    }

    struct Target: Decodable, Sendable {
        var refId: String?
        var expr: String?
        var instant: Bool?
        var datasource: DataSourceRef?
    }

    struct Templating: Decodable, Sendable {
        var list: [Variable]
    }

    struct Variable: Decodable, Sendable {
        var name: String
        var type: String
        var definition: String?
        var query: Query?

        /// A query variable's query is a string in old dashboards and an object in new ones.
        struct Query: Decodable, Sendable {
            var text: String

            init(from decoder: any Decoder) throws {
                if let text = try? decoder.singleValueContainer().decode(String.self) {
                    self.text = text
                } else {
                    text = try decoder.container(keyedBy: Key.self).decode(String.self, forKey: .query)
                }
            }

            private enum Key: String, CodingKey { case query }
        }

        /// `label_values(SELECTOR, LABEL)` split in two, for a query variable that has one.
        var labelValues: (selector: String, label: String)? {
            guard type == "query", let text = query?.text ?? definition,
                  let match = text.firstMatch(of: #/^\s*label_values\((.*),\s*(\w+)\s*\)\s*$/#)
            else { return nil }
            return (String(match.1), String(match.2))
        }
    }

    struct Annotations: Decodable, Sendable {
        var list: [Annotation]
    }

    struct Annotation: Decodable, Sendable {
        var name: String?
        var expr: String?
        var datasource: DataSourceRef?
    }

    /// One PromQL expression of the dashboard, named for messages, run the way Grafana runs it.
    struct Query: Sendable {
        var name: String
        var expr: String
        var instant: Bool
    }

    static func load(_ file: URL = RepositoryFiles.dashboard) throws -> Dashboard {
        try JSONDecoder().decode(Dashboard.self, from: Data(contentsOf: file))
    }

    /// Every panel, rows' nested panels included.
    var allPanels: [Panel] {
        panels.flatMap { [$0] + ($0.panels ?? []) }
    }

    /// Every PromQL expression: panel queries and annotation queries.
    var queries: [Query] {
        let panelQueries = allPanels.flatMap { panel in
            (panel.targets ?? []).compactMap { target in
                target.expr.map {
                    Query(name: "panel \(panel.id ?? -1) \"\(panel.title ?? "")\" query \(target.refId ?? "?")",
                          expr: $0, instant: target.instant ?? false)
                }
            }
        }
        let annotationQueries = (annotations?.list ?? []).compactMap { annotation in
            annotation.expr.map { Query(name: "annotation \"\(annotation.name ?? "")\"", expr: $0, instant: false) }
        }
        return panelQueries + annotationQueries
    }
}
