//! PostHog's insight actors: the persons behind a funnel step (`/persons/funnel/`), a funnel
//! correlation (`/persons/funnel/correlation/`), a trends data point (`/persons/trends/`), a
//! lifecycle bucket (`/persons/lifecycle/`) and a stickiness bucket (`/persons/stickiness/`),
//! also asked through `POST /query/` (`ActorsQuery`); computed from each candidate person's
//! events (the event index's daily activity sets find the candidates, its per-distinct-id
//! lists their events in range).

pub(crate) mod correlation;
pub(crate) mod dates;
pub(crate) mod funnel;
pub(crate) mod funnel_persons;
pub(crate) mod lifecycle;
pub(crate) mod page;
pub(crate) mod params;
pub(crate) mod query;
pub(crate) mod schema;
pub(crate) mod trends;
