//! Every lint rule, one file each. To add one: write `rules/<name>.rs` with a `RuleInfo`
//! (the next free code), a `Rule` implementation and tests (fixtures that fire and must not),
//! list it in [`ALL`], and regenerate docs/lint-rules.md (`UPDATE_DOCS=1 cargo test`).

use super::Rule;

pub mod check_never_fails;
pub mod constant_condition;
pub mod deployment_selector;
pub mod duplicate_key;
pub mod field_naming;
pub mod host_path_volume;
pub mod image_tag;
pub(crate) mod k8s_util;
pub mod privileged_container;
pub mod readiness_probe;
pub mod resource_limits;
pub mod resource_naming;
pub mod schema_naming;
pub mod secret_literal;
pub mod service_selector;
pub mod shadowed_name;
pub mod unused_binding;
pub mod unused_function;
pub mod unused_import;
pub mod unused_param;
pub mod unused_suppression;
pub mod world_writable_file;

/// Every rule, in code order.
pub static ALL: &[&dyn Rule] = &[
    &unused_binding::RULE,
    &unused_import::RULE,
    &unused_param::RULE,
    &shadowed_name::RULE,
    &constant_condition::RULE,
    &duplicate_key::RULE,
    &check_never_fails::RULE,
    &unused_function::RULE,
    &schema_naming::RULE,
    &field_naming::RULE,
    &resource_naming::RULE,
    &image_tag::RULE,
    &resource_limits::RULE,
    &privileged_container::RULE,
    &host_path_volume::RULE,
    &readiness_probe::RULE,
    &service_selector::RULE,
    &deployment_selector::RULE,
    &secret_literal::RULE,
    &world_writable_file::RULE,
    &unused_suppression::RULE,
];
