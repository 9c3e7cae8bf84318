//! The current contract's error body is Whop's one error body: its calls fail with
//! [`ApiErrorBody::Whop`](crate::error::ApiErrorBody::Whop), read by
//! [`Error::whop_error`](crate::Error::whop_error) as for the seed's contract.

use super::WhopCurrent;
use super::generated::types;
use crate::error::GeneratedErrorBody;

impl GeneratedErrorBody for types::V1ErrorResponse {
    type Vendor = WhopCurrent;
}
