/// The dashboard's HTML pages and style sheet. A page is a shell: a header, a placeholder the script fills from the
/// page's JSON endpoint, and the only server-side data, the run name, escaped (`HTMLText`).
enum DashboardPages {
    enum Page: String {
        case runs, run, queue
    }

    /// A page shell; `run` for the run page; `actions` when the server accepts actions (with the token).
    static func shell(_ page: Page, run: String? = nil, actions: Bool) -> String {
        let title = run.map { "\(HTMLText.escape($0)) · FlowCPS" } ?? (page == .queue ? "Queue and workers · FlowCPS" : "Runs · FlowCPS")
        let heading = run.map { "Run " + HTMLText.escape($0) } ?? (page == .queue ? "Queue and workers" : "Runs")
        let runAttribute = run.map { " data-run=\"\(HTMLText.escape($0))\"" } ?? ""
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title)</title>
            <link rel="icon" href="/favicon.svg" type="image/svg+xml">
            <link rel="stylesheet" href="/assets/dashboard.css">
            <script src="/assets/dashboard.js" defer></script>
            </head>
            <body data-page="\(page.rawValue)"\(runAttribute) data-actions="\(actions ? "on" : "off")">
            <header><a class="brand" href="/">FlowCPS</a> <nav><a href="/">Runs</a> <a href="/queue">Queue and workers</a> <a href="/metrics">Metrics</a> <a href="/api">API</a></nav> <span id="status"></span></header>
            <main>
            <h1>\(heading)</h1>
            <div id="content"><p class="empty">loading…</p></div>
            </main>
            </body>
            </html>

            """
    }

    static let favicon = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1f77b4"/>\
        <path d="M3 12 L7 6 L10 9 L13 4" stroke="#fff" stroke-width="2" fill="none"/></svg>
        """

    static let style = """
        body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
        header { background: #223; color: #eee; padding: 8px 16px; display: flex; gap: 16px; align-items: center; }
        header a { color: #cde; text-decoration: none; margin-right: 12px; } header .brand { font-weight: bold; color: #fff; }
        #status { margin-left: auto; font-size: 12px; color: #9ab; } #status.bad { color: #f88; }
        main { padding: 8px 16px 32px; } h1 { font-size: 20px; margin: 8px 0; } h2 { font-size: 16px; margin: 20px 0 6px; }
        table { border-collapse: collapse; background: #fff; } th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: middle; }
        th { background: #eef; font-weight: 600; } td code { white-space: pre-wrap; font-size: 12px; }
        .state { padding: 1px 6px; border-radius: 3px; background: #ddd; } .state.active { background: #cfc; } .state.paused { background: #fe9; }
        .state.failed, .state.cancelled { background: #fcc; } .state.completed { background: #cdf; }
        .charts { display: flex; flex-wrap: wrap; gap: 12px; } .chart { background: #fff; border: 1px solid #ddd; padding: 4px; }
        .chart .title { font-weight: 600; font-size: 12px; } .chart .tick { font-size: 10px; fill: #555; } .chart .axis { stroke: #999; }
        .chart .empty { fill: #999; font-size: 12px; } .legend { font-size: 11px; max-width: 460px; } .key { margin-right: 10px; white-space: nowrap; }
        .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 3px; vertical-align: middle; }
        .c0 { background: #1f77b4; } .c1 { background: #d62728; } .c2 { background: #2ca02c; } .c3 { background: #ff7f0e; } .c4 { background: #9467bd; }
        .c5 { background: #8c564b; } .c6 { background: #e377c2; } .c7 { background: #7f7f7f; } .c8 { background: #17becf; } .c9 { background: #bcbd22; }
        .notice { background: #fe9; padding: 4px 8px; } .empty { color: #888; } .summary { font-size: 15px; }
        .samples { display: flex; flex-wrap: wrap; gap: 8px; } figure { margin: 0; width: 140px; font-size: 11px; }
        figure img, img.grid { image-rendering: pixelated; border: 1px solid #ccc; } pre.config { background: #fff; border: 1px solid #ddd; padding: 8px; overflow: auto; }
        .actions { margin: 8px 0; display: flex; gap: 6px; } .spark { vertical-align: middle; }
        """
}
