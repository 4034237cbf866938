fn main() {
    let policy = steward_policies::Policy::default();
    for f in std::env::args().skip(1) {
        let bytes = std::fs::read(&f).unwrap();
        let r = steward_policies::validate(&bytes, &policy, None);
        for x in &r.findings {
            println!(
                "{f}:{}:{}: {}[{}] {} ({})",
                x.line,
                x.column,
                x.severity.as_str(),
                x.rule,
                x.message,
                x.path
            );
        }
    }
}
