//! Intune app protection policies as Microsoft Graph `iosManagedAppProtection` objects
//! (entra-facts §5), and which of them target a user's app.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// Assignment target type that includes every licensed user.
const ALL_LICENSED_USERS: &str = "#microsoft.graph.allLicensedUsersAssignmentTarget";
/// Assignment target type that excludes a group.
const EXCLUSION_GROUP: &str = "#microsoft.graph.exclusionGroupAssignmentTarget";

/// The normalized view of one policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProtectionPolicy {
    pub id: Option<String>,
    pub display_name: Option<String>,
    /// `apps[].mobileAppIdentifier.bundleId`.
    pub bundle_ids: Vec<String>,
    /// Groups of inclusion assignments (`assignments[].target.groupId`).
    pub included_groups: Vec<String>,
    pub excluded_groups: Vec<String>,
    /// An `allLicensedUsersAssignmentTarget` assignment.
    pub all_users: bool,
}

impl ProtectionPolicy {
    /// Parses one policy object; tolerates missing pieces (a policy without apps targets nothing).
    pub fn parse(raw: &Value) -> ProtectionPolicy {
        let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let list = |k: &str| {
            raw.get(k)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let bundle_ids = list("apps")
            .iter()
            .filter_map(|a| a.get("mobileAppIdentifier").and_then(|m| s(m, "bundleId")))
            .collect();
        let mut included_groups = Vec::new();
        let mut excluded_groups = Vec::new();
        let mut all_users = false;
        for a in list("assignments") {
            let Some(target) = a.get("target") else {
                continue;
            };
            let kind = s(target, "@odata.type").unwrap_or_default();
            if kind == ALL_LICENSED_USERS {
                all_users = true;
            } else if let Some(group) = s(target, "groupId") {
                if kind == EXCLUSION_GROUP {
                    excluded_groups.push(group);
                } else {
                    included_groups.push(group);
                }
            }
        }
        ProtectionPolicy {
            id: s(raw, "id"),
            display_name: s(raw, "displayName"),
            bundle_ids,
            included_groups,
            excluded_groups,
            all_users,
        }
    }

    /// Whether the policy protects exactly this bundle id (`com.mattermost.rn` ≠ `…rnbeta`).
    pub fn covers_bundle(&self, bundle_id: &str) -> bool {
        self.bundle_ids.iter().any(|b| b == bundle_id)
    }

    /// Whether a member of `groups` is targeted (exclusions win, as in Intune).
    pub fn targets_groups(&self, groups: &[String]) -> bool {
        let member = |g: &String| groups.iter().any(|u| u.eq_ignore_ascii_case(g));
        if self.excluded_groups.iter().any(member) {
            return false;
        }
        self.all_users || self.included_groups.iter().any(member)
    }
}

/// The tenant's policies, read from a list or from a Graph `{"value": [...]}` collection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyList(pub Vec<Value>);

impl PolicyList {
    /// The first policy that targets this user's app, as written (Graph JSON).
    pub fn find_for(&self, bundle_id: &str, groups: &[String]) -> Option<&Value> {
        self.0.iter().find(|raw| {
            let p = ProtectionPolicy::parse(raw);
            p.covers_bundle(bundle_id) && p.targets_groups(groups)
        })
    }

    /// Every policy, normalized.
    pub fn normalized(&self) -> Vec<ProtectionPolicy> {
        self.0.iter().map(ProtectionPolicy::parse).collect()
    }
}

impl Serialize for PolicyList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for PolicyList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(PolicyList::default()),
            Value::Array(list) => Ok(PolicyList(list)),
            Value::Object(mut o) => match o.remove("value") {
                Some(Value::Array(list)) => Ok(PolicyList(list)),
                Some(_) => Err(serde::de::Error::custom(
                    "`value` must be a list of policies",
                )),
                // A single policy object on its own.
                None => Ok(PolicyList(vec![Value::Object(o)])),
            },
            _ => Err(serde::de::Error::custom(
                "app_protection_policies must be a list or {\"value\": [...]}",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(bundle: &str, group: &str) -> Value {
        json!({"@odata.type": "#microsoft.graph.iosManagedAppProtection", "id": "T_1",
            "apps": [{"id": format!("{bundle}.ios"), "mobileAppIdentifier": {
                "@odata.type": "#microsoft.graph.iosMobileAppIdentifier", "bundleId": bundle}}],
            "assignments": [{"id": format!("{group}_incl"), "target": {
                "@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group}}]})
    }

    #[test]
    fn production_policy_does_not_cover_beta() {
        let list = PolicyList(vec![policy("com.mattermost.rn", "g1")]);
        let groups = vec!["G1".to_string()];
        assert!(list.find_for("com.mattermost.rn", &groups).is_some());
        assert!(list.find_for("com.mattermost.rnbeta", &groups).is_none());
        assert!(list
            .find_for("com.mattermost.rn", &["g2".to_string()])
            .is_none());
    }

    #[test]
    fn list_forms_and_exclusions() {
        let l: PolicyList = serde_json::from_value(json!({"value": [policy("a", "g")]})).unwrap();
        assert_eq!(l.0.len(), 1);
        let l: PolicyList = serde_json::from_value(json!([policy("a", "g")])).unwrap();
        assert_eq!(l.0.len(), 1);
        assert!(serde_json::from_value::<PolicyList>(json!(3)).is_err());
        let mut p = policy("a", "g");
        p["assignments"]
            .as_array_mut()
            .unwrap()
            .push(json!({"target": {"@odata.type": EXCLUSION_GROUP, "groupId": "x"}}));
        let p = ProtectionPolicy::parse(&p);
        assert!(p.targets_groups(&["g".into()]));
        assert!(!p.targets_groups(&["g".into(), "x".into()]));
        assert!(ProtectionPolicy::parse(&json!("junk"))
            .bundle_ids
            .is_empty());
    }
}
