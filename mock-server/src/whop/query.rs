//! Listing people: window, filters, sort with a stable tie-break, and offset paging.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::field::{FieldValue, PersonField, PersonView};
use super::filter::Filters;
use super::orders::{Order, OrderKey};
use super::tenant::Account;

/// Sort direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Direction {
    /// Smallest first.
    Asc,
    /// Largest first (Whop's default).
    #[default]
    Desc,
}

/// A validated list request.
#[derive(Clone, Debug, PartialEq)]
pub struct ListQuery {
    /// Window start, inclusive (Unix seconds).
    pub from: i64,
    /// Window end, inclusive (Unix seconds).
    pub to: i64,
    /// Sort column (a sortable field).
    pub sort: PersonField,
    /// Sort direction.
    pub direction: Direction,
    /// Filters, ANDed.
    pub filters: Filters,
    /// Page size.
    pub first: usize,
    /// People to skip.
    pub offset: usize,
}

/// One page of a list.
#[derive(Debug)]
pub struct Page<'a> {
    /// The people on this page, in order.
    pub people: Vec<PersonView<'a>>,
    /// How many people match, across all pages.
    pub total_count: usize,
}

/// Runs `query` against `account`: the rows of the page from the list's order kept since the
/// account's last write when it reaches the end of the page, else from [`top`] (then kept).
pub fn list<'a>(account: &'a Account, query: &ListQuery) -> Page<'a> {
    let end = query.offset.saturating_add(query.first);
    let key = OrderKey::offset(query);
    let order = account.orders().find(&key, end).unwrap_or_else(|| {
        let order = top(account, query, end);
        account.orders().keep(key, order.clone());
        order
    });
    let people = order
        .rows
        .iter()
        .skip(query.offset)
        .take(query.first)
        .filter_map(|&row| PersonView::at(account, row as usize, query.from, query.to))
        .collect();
    Page {
        people,
        total_count: order.total,
    }
}

/// The rows of `query`'s list up to `end`, and its count. Costs a pass over the account's
/// contiguous span column, a window look-up (two binary searches over their own timeline)
/// only for the people straddling a window edge, a filter pass, and one comparison per match
/// against a heap of the rows up to `end` (O(n log end)); the event log is never scanned and
/// no row is kept for people who cannot reach the page.
fn top(account: &Account, query: &ListQuery, end: usize) -> Order {
    let mut kept: BinaryHeap<(Ranked<'_>, u32)> = BinaryHeap::new();
    let mut total = 0;
    for (row, index) in ranked(account, query) {
        total += 1;
        if kept.len() < end {
            kept.push((row, index));
        } else if let Some(mut last) = kept.peek_mut()
            && row < last.0
        {
            *last = (row, index);
        }
    }
    Order {
        rows: kept
            .into_sorted_vec()
            .into_iter()
            .map(|(_, index)| index)
            .collect(),
        total,
        walk: 0,
    }
}

/// Every match of `query` with its sort value, and its person index, in creation order.
fn ranked<'a>(
    account: &'a Account,
    query: &'a ListQuery,
) -> impl Iterator<Item = (Ranked<'a>, u32)> + 'a {
    account
        .indexed_in_window(query.from, query.to)
        .map(|(index, person, aggregate)| {
            let view = PersonView {
                account,
                person,
                aggregate,
                from: query.from,
                to: query.to,
            };
            (view, index as u32)
        })
        .filter(|(view, _)| query.filters.is_empty() || query.filters.matches(view))
        .map(|(view, index)| (Ranked::new(view, query.sort, query.direction), index))
}

/// Every match of `query` (its `first` and `offset` aside) as person indices, in list order:
/// the order a cursor walk keeps.
pub fn sorted(account: &Account, query: &ListQuery) -> Vec<u32> {
    let mut rows: Vec<(Ranked<'_>, u32)> = ranked(account, query).collect();
    rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    rows.into_iter().map(|(_, index)| index).collect()
}

/// A row's value in the sort column, read once per row: text (nulls apart), or a number
/// (counts, times, cents, booleans as 0 and 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SortKey<'a> {
    Text(Option<&'a str>),
    Number(i64),
}

/// A row ordered as the list shows it (so the heap's top is the last row kept): by `sort` in
/// `direction`, nulls last either way, ties broken by record id in the same direction so
/// that paging is stable.
struct Ranked<'a> {
    view: PersonView<'a>,
    key: SortKey<'a>,
    direction: Direction,
}

impl<'a> Ranked<'a> {
    fn new(view: PersonView<'a>, sort: PersonField, direction: Direction) -> Self {
        let key = match view.value(sort) {
            FieldValue::Text(text) => SortKey::Text(text),
            FieldValue::Integer(number) => SortKey::Number(number),
            FieldValue::Boolean(flag) => SortKey::Number(i64::from(flag)),
            FieldValue::IdList(_) => SortKey::Number(0),
        };
        Self {
            view,
            key,
            direction,
        }
    }
}

impl Ord for Ranked<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        let directed = |ordering: Ordering| match self.direction {
            Direction::Asc => ordering,
            Direction::Desc => ordering.reverse(),
        };
        let by_column = match (self.key, other.key) {
            (SortKey::Text(Some(x)), SortKey::Text(Some(y))) => directed(x.cmp(y)),
            (SortKey::Text(x), SortKey::Text(y)) => x.is_none().cmp(&y.is_none()),
            (SortKey::Number(x), SortKey::Number(y)) => directed(x.cmp(&y)),
            _ => Ordering::Equal,
        };
        by_column.then_with(|| directed(self.view.person.id.cmp(&other.view.person.id)))
    }
}

impl PartialOrd for Ranked<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whop::log::Event;
    use crate::whop::timeline::WindowAggregate;
    use proptest::prelude::*;

    fn account() -> Account {
        let mut account = Account::new("biz_q");
        let events = [
            Event::purchase(30.0).visitor("a").name("Ann").at(100),
            Event::page_view().visitor("b").at(200),
            Event::purchase(10.0).visitor("c").name("Cid").at(300),
            Event::purchase(10.0).visitor("c").at(50),
            Event::page_view().visitor("d").name("Dee").at(1_000),
        ];
        for event in events {
            account.record(event, 0).unwrap();
        }
        account
    }

    fn query(sort: PersonField, direction: Direction) -> ListQuery {
        ListQuery {
            from: 0,
            to: 500,
            sort,
            direction,
            filters: Filters::default(),
            first: 10,
            offset: 0,
        }
    }

    fn names(page: &Page<'_>) -> Vec<String> {
        page.people
            .iter()
            .map(|view| view.person.person_id.clone())
            .collect()
    }

    #[test]
    fn the_window_selects_people_and_bounds_their_aggregates() {
        let account = account();
        let page = list(&account, &query(PersonField::LastSeenAt, Direction::Desc));
        assert_eq!(names(&page), ["c", "b", "a"]);
        assert_eq!(page.total_count, 3);
        let c = &page.people[0].aggregate;
        assert_eq!(
            (c.first_seen_at, c.purchase_count, c.ltv_cents),
            (50, 2, 2000)
        );
        let narrow = ListQuery {
            from: 60,
            ..query(PersonField::Ltv, Direction::Desc)
        };
        let page = list(&account, &narrow);
        assert_eq!(page.people[0].aggregate.ltv_cents, 3000);
        assert_eq!(page.people[1].aggregate.ltv_cents, 1000);
    }

    #[test]
    fn nulls_sort_last_both_ways() {
        let account = account();
        assert_eq!(
            names(&list(&account, &query(PersonField::Name, Direction::Asc))),
            ["a", "c", "b"]
        );
        assert_eq!(
            names(&list(&account, &query(PersonField::Name, Direction::Desc))),
            ["c", "a", "b"]
        );
    }

    /// The list computed the plain way: every live person's window, filters, a full sort.
    fn brute_force<'a>(account: &'a Account, query: &ListQuery) -> (Vec<PersonView<'a>>, usize) {
        let mut rows: Vec<PersonView<'a>> = account
            .people()
            .filter_map(|person| {
                Some(PersonView {
                    account,
                    person,
                    aggregate: person.timeline.window(query.from, query.to)?,
                    from: query.from,
                    to: query.to,
                })
            })
            .filter(|view| query.filters.matches(view))
            .collect();
        rows.sort_by(|a, b| {
            let rank = |view: &PersonView<'a>| Ranked::new(*view, query.sort, query.direction);
            rank(a).cmp(&rank(b))
        });
        let total = rows.len();
        let page = rows
            .into_iter()
            .skip(query.offset)
            .take(query.first)
            .collect();
        (page, total)
    }

    fn rows(views: &[PersonView<'_>]) -> Vec<(String, WindowAggregate)> {
        views
            .iter()
            .map(|view| (view.person.id.clone(), view.aggregate))
            .collect()
    }

    const FILTERS: [&str; 6] = [
        "[]",
        r#"[{"field":"purchase_count","operator":"gte","value":1}]"#,
        r#"[{"field":"ltv","operator":"gt","value":20}]"#,
        r#"[{"field":"name","operator":"is_set"}]"#,
        r#"[{"field":"has_failed_payment","operator":"eq","value":true}]"#,
        r#"[{"field":"first_seen_at","operator":"lt","value":40}]"#,
    ];

    proptest! {
        #[test]
        fn lists_match_a_brute_force_computation(
            raw in prop::collection::vec(
                (0u8..3, 0u8..8, prop::option::of(0u8..4), 0i64..100, any::<bool>()),
                1..60,
            ),
            from in -5i64..105,
            len in -5i64..110,
            sort in prop::sample::select(
                PersonField::ALL.iter().copied().filter(|f| f.is_sortable()).collect::<Vec<_>>(),
            ),
            ascending in any::<bool>(),
            filters in prop::sample::select(FILTERS.to_vec()),
            first in 1usize..8,
            offset in 0usize..10,
        ) {
            let mut account = Account::new("biz_p");
            for (kind, visitor, email, time, named) in raw {
                let event = match kind {
                    0 => Event::page_view(),
                    1 => Event::purchase(f64::from(visitor) + 5.0),
                    _ => Event::failed_payment(),
                };
                let mut event = event.visitor(format!("v{visitor}")).at(time);
                if let Some(email) = email {
                    event = event.email(format!("e{email}@x.com"));
                }
                if named {
                    event = event.name(format!("n{visitor}"));
                }
                account.record(event, 0).unwrap();
            }
            let query = ListQuery {
                from,
                to: from + len,
                sort,
                direction: if ascending { Direction::Asc } else { Direction::Desc },
                filters: Filters::parse(filters).unwrap(),
                first,
                offset,
            };
            let page = list(&account, &query);
            let (expected, total) = brute_force(&account, &query);
            prop_assert_eq!(page.total_count, total);
            prop_assert_eq!(rows(&page.people), rows(&expected));
            prop_assert!(page.people.iter().all(|view| view.person.merged_into.is_none()));
            let everyone = ListQuery { filters: Filters::default(), first: usize::MAX, offset: 0, ..query };
            let all = list(&account, &everyone);
            prop_assert_eq!(all.total_count, brute_force(&account, &everyone).1);
            prop_assert!(all.people.iter().all(|view| view.person.merged_into.is_none()));
        }
    }

    #[test]
    fn pages_partition_the_sorted_list() {
        let account = account();
        let all = names(&list(
            &account,
            &query(PersonField::PurchaseCount, Direction::Asc),
        ));
        let mut paged = Vec::new();
        for offset in 0..4 {
            let page = ListQuery {
                first: 1,
                offset,
                ..query(PersonField::PurchaseCount, Direction::Asc)
            };
            paged.extend(names(&list(&account, &page)));
        }
        assert_eq!(paged, all);
    }
}
