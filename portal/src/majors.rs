//! The majors panel of a product page: after a breaking version, the
//! majors published side by side, each with its catalog database, state,
//! end of support, end of life and active grants
//! (`docs/breaking-changes.md`). Shown only when there is more than one.

use maud::{Markup, html};
use steward_api::ProductMajor;
use steward_catalog::error::ServiceError;

use crate::page::{self, when};

fn date(t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.as_ref().map_or_else(|| "—".to_owned(), when)
}

/// The section, or nothing for a product with one major.
pub fn section(majors: &Result<Vec<ProductMajor>, ServiceError>) -> Markup {
    let list = match majors {
        Ok(list) if list.len() > 1 => list,
        Ok(_) => return html! {},
        Err(e) => return html! { section #majors { h2 { "Majors" } p.muted { (page::describe(e).1) } } },
    };
    html! {
        section #majors {
            h2 { "Majors" }
            p {
                "A new major is published beside the previous one, in its own database, until the previous one's "
                "end of life; then grants still on it are revoked. Move a grant with "
                code { "steward access migrate GRANT" } "."
            }
            div.scroll tabindex="0" role="region" aria-label="Majors" {
                table {
                    thead { tr {
                        th { "Major" } th { "Version" } th { "State" } th { "Database" }
                        th { "End of support" } th { "End of life" } th { "Active grants" }
                    } }
                    tbody {
                        @for m in list {
                            tr {
                                td { "v" (m.major) }
                                td { (m.version) }
                                td { span class={ "badge m-" (m.state) } { (m.state) } }
                                td { code { (m.database) } }
                                td { (date(&m.end_of_support)) }
                                td { (date(&m.end_of_life)) }
                                td { (m.grants) }
                            }
                        }
                    }
                }
            }
        }
    }
}
