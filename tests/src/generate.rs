//! Generated contracts for benches at catalog scale: a fixed vocabulary, a
//! deterministic generator, and ODCS YAML built from them. The YAML is
//! plain text, so this crate needs no catalog types; a bench parses it
//! (`steward_schemas::parse_contract`) and builds its catalog rows from it.

/// The vocabulary. Deliberately small and dense, so a one-word search
/// matches a large part of the catalog (a worst case for ranking).
pub const WORDS: [&str; 40] = [
    "orders",
    "revenue",
    "customer",
    "shipment",
    "invoice",
    "payment",
    "refund",
    "inventory",
    "warehouse",
    "supplier",
    "campaign",
    "click",
    "session",
    "device",
    "region",
    "currency",
    "discount",
    "basket",
    "subscription",
    "churn",
    "forecast",
    "ledger",
    "account",
    "balance",
    "transfer",
    "merchant",
    "product",
    "catalog",
    "review",
    "rating",
    "delivery",
    "route",
    "driver",
    "vehicle",
    "fuel",
    "sensor",
    "reading",
    "alert",
    "ticket",
    "agent",
];

/// Column name suffixes.
pub const SUFFIXES: [&str; 6] = ["id", "at", "amount", "code", "name", "count"];

/// Products are spread over this many domains ([`domain`]).
pub const DOMAINS: usize = 40;

/// The product classifications a [`Shape::detailed`] catalog cycles through.
pub const CLASSIFICATIONS: [&str; 3] = ["public", "internal", "confidential"];

/// A cheap deterministic generator (a linear congruential one; no extra
/// dependency). The same seed gives the same catalog on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn draw(&mut self) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }

    pub fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.draw() % words.len()]
    }

    /// A word of [`WORDS`].
    pub fn word(&mut self) -> &'static str {
        self.pick(&WORDS)
    }
}

/// The domain of product `i`.
pub fn domain(i: usize) -> String {
    format!("domain_{}", i % DOMAINS)
}

/// The product name of product `i` (unique).
pub fn product(i: usize) -> String {
    format!("product_{i}")
}

/// What the generated contracts hold.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Columns in each of the two tables.
    pub columns: usize,
    /// With column types (string, integer, number, date), physical types,
    /// two required columns and the last column a partition key per table, a
    /// usage note, and a product classification cycling through
    /// [`CLASSIFICATIONS`]. Without: every column an optional `string` and no
    /// product classification (the catalog's default applies). Either way
    /// the words are drawn in the same order, so a seed gives the same text.
    pub detailed: bool,
}

/// One generated contract.
#[derive(Debug, Clone)]
pub struct Generated {
    /// `domain.product`.
    pub key: String,
    /// The ODCS YAML.
    pub yaml: String,
}

/// Contract `i` of a generated catalog: two tables, eight words of
/// description and tags, and per column three more words.
pub fn contract(i: usize, rng: &mut Rng, shape: Shape) -> Generated {
    let domain = domain(i);
    let name = product(i);
    let words: Vec<&str> = (0..8).map(|_| rng.word()).collect();
    let mut yaml = format!(
        "apiVersion: v3.1.0\nkind: DataContract\nid: b{i}\nversion: 1.0.0\nstatus: active\ndomain: {domain}\ndataProduct: {name}\n\
         description:\n  purpose: {} data about {} and {}.\n",
        words[0], words[1], words[2],
    );
    if shape.detailed {
        yaml.push_str("  usage: Reporting.\n");
    }
    yaml.push_str(&format!(
        "tags: [{}, {}]\nteam:\n  name: team_{}\nsupport:\n  - {{channel: t@example.com, tool: email}}\n\
         servers:\n  - {{server: p, type: s3, location: 's3://steward-domain-{}/{name}/', format: parquet}}\nschema:\n",
        words[3],
        words[4],
        i % 97,
        i % DOMAINS
    ));
    // A column may not be classified above its product (policy STW012): in a
    // detailed catalog columns take the product's classification, otherwise
    // `internal`, the catalog's default product classification.
    let column_class = if shape.detailed { CLASSIFICATIONS[i % CLASSIFICATIONS.len()] } else { "internal" };
    for t in 0..2 {
        yaml.push_str(&format!(
            "  - name: {}_{t}\n    description: {} {}.\n    properties:\n",
            words[5 + t],
            words[6],
            words[7]
        ));
        for c in 0..shape.columns {
            let col = format!("{}_{}", rng.word(), rng.pick(&SUFFIXES));
            let description = rng.word();
            let details = if shape.detailed {
                let logical = ["string", "integer", "number", "date"][c % 4];
                let required = if c < 2 { ", required: true" } else { "" };
                let partition =
                    if c + 1 == shape.columns { ", partitioned: true, partitionKeyPosition: 1" } else { "" };
                format!("logicalType: {logical}, physicalType: varchar(64){required}{partition}")
            } else {
                "logicalType: string".to_owned()
            };
            yaml.push_str(&format!(
                "      - {{name: {col}_{c}, {details}, description: {description} value., classification: {column_class}}}\n"
            ));
        }
    }
    yaml.push_str("slaProperties:\n  - {property: frequency, value: daily, scheduler: cron, schedule: '0 6 * * *'}\n");
    if shape.detailed {
        yaml.push_str(&format!(
            "customProperties:\n  - {{property: classification, value: {}}}\n",
            CLASSIFICATIONS[i % CLASSIFICATIONS.len()]
        ));
    }
    Generated { key: format!("{domain}.{name}"), yaml }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_keyed() {
        let shape = Shape { columns: 8, detailed: true };
        let a = contract(5, &mut Rng(1), shape);
        let b = contract(5, &mut Rng(1), shape);
        assert_eq!(a.yaml, b.yaml);
        assert_eq!(a.key, "domain_5.product_5");
        assert!(a.yaml.contains("value: confidential"));
        assert!(a.yaml.contains("partitioned: true"));
    }

    #[test]
    fn plain_shape_draws_the_same_words() {
        let plain = contract(3, &mut Rng(7), Shape { columns: 6, detailed: false });
        let detailed = contract(3, &mut Rng(7), Shape { columns: 6, detailed: true });
        let names = |y: &str| -> Vec<String> {
            y.lines()
                .filter_map(|l| l.trim().strip_prefix("- {name: "))
                .map(|l| l.split(',').next().unwrap().to_owned())
                .collect()
        };
        assert_eq!(names(&plain.yaml), names(&detailed.yaml));
        assert!(!plain.yaml.contains("customProperties"));
    }
}
