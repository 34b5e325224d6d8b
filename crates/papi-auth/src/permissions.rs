//! Who may do what: every action a caller can ask for, and the one table that says which roles may
//! do it, and over which interviews. The server asks this table and nothing else; its route test
//! (`every_route_answers_each_role_as_the_permission_table_says`) checks every route against it.

use crate::Role;

/// Something a signed-in caller may ask to do. One variant per rule: two routes that need the same
/// permission name the same action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read the registered survey definitions (every role: the form needs them).
    ReadSurveys,
    /// Submit interviews, and see the villages one may collect from. `Own`: recorded under the
    /// caller's own name, from the villages assigned to them.
    SubmitInterview,
    /// Submit a phone's file of unsent interviews for the enumerator it belonged to.
    UploadDeviceFile,
    /// Keep a bearer token on one's phone (a phone is easily lost: only an enumerator's powers).
    KeepDeviceToken,
    /// Read respondents' answers. `Own`: only the interviews the caller collected.
    ReadAnswers,
    /// See the fieldwork's progress, quality flags and interviews' pages.
    ViewFieldwork,
    /// Decide an interview's review state, and read the decisions.
    Review,
    /// Change the fieldwork's own survey settings (what a score counts, short interviews, whether
    /// assignments bind).
    ChangeFieldworkSettings,
    /// Change any survey setting, notably how small a group the dashboard may show.
    ChangeAnySetting,
    /// Register a survey's sample (its design: places and weights).
    RegisterSample,
    /// Read the registered sample.
    ReadSample,
    /// Read who is assigned to which village. `Own`: only one's own villages.
    ReadAssignments,
    /// Assign villages of the sample to enumerators.
    AssignVillages,
    /// See the leadership dashboard: published aggregates, never a respondent's answers.
    ViewDashboard,
    /// Set the status of an action plan's tasks.
    UpdatePlanTasks,
    /// See the analysts' page.
    ViewAnalysis,
    /// Recompute and publish scores, and follow recompute jobs.
    Recompute,
    /// Export interviews. `Own`: only one's own export jobs are visible.
    Export,
    /// Compare two score runs.
    CompareRuns,
    /// Read the service's metrics.
    ReadMetrics,
}

/// Whether a role may do an action, and over what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    No,
    /// Only over what is the caller's own (their interviews, villages, jobs).
    Own,
    All,
}

/// Which interviews (or jobs, or villages) a permitted action reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    Own,
}

use Grant::{All as ALL, No as NO, Own as OWN};

/// The table: one row per action, one column per role, in the order of `Role::ALL`.
#[rustfmt::skip]
const PERMISSIONS: [(Action, [Grant; 5]); 20] = [
    //                                  admin  superv. analyst leader enumerator
    (Action::ReadSurveys,             [ALL,   ALL,    ALL,    ALL,   ALL]),
    (Action::SubmitInterview,         [ALL,   NO,     NO,     NO,    OWN]),
    (Action::UploadDeviceFile,        [ALL,   ALL,    NO,     NO,    NO ]),
    (Action::KeepDeviceToken,         [NO,    NO,     NO,     NO,    ALL]),
    (Action::ReadAnswers,             [ALL,   ALL,    ALL,    NO,    OWN]),
    (Action::ViewFieldwork,           [ALL,   ALL,    NO,     NO,    NO ]),
    (Action::Review,                  [ALL,   ALL,    NO,     NO,    NO ]),
    (Action::ChangeFieldworkSettings, [ALL,   ALL,    NO,     NO,    NO ]),
    (Action::ChangeAnySetting,        [ALL,   NO,     NO,     NO,    NO ]),
    (Action::RegisterSample,          [ALL,   NO,     NO,     NO,    NO ]),
    (Action::ReadSample,              [ALL,   ALL,    ALL,    NO,    NO ]),
    (Action::ReadAssignments,         [ALL,   ALL,    ALL,    NO,    OWN]),
    (Action::AssignVillages,          [ALL,   ALL,    NO,     NO,    NO ]),
    (Action::ViewDashboard,           [ALL,   ALL,    ALL,    ALL,   NO ]),
    (Action::UpdatePlanTasks,         [ALL,   NO,     NO,     NO,    NO ]),
    (Action::ViewAnalysis,            [ALL,   NO,     ALL,    NO,    NO ]),
    (Action::Recompute,               [ALL,   NO,     ALL,    NO,    NO ]),
    (Action::Export,                  [ALL,   NO,     OWN,    NO,    NO ]),
    (Action::CompareRuns,             [ALL,   NO,     ALL,    NO,    NO ]),
    (Action::ReadMetrics,             [ALL,   NO,     NO,     NO,    NO ]),
];

/// The survey settings that belong to the fieldwork (names as in `papi_recompute`): a supervisor
/// changes these; every other setting, and any added later, is the administrator's alone.
const FIELDWORK_SETTINGS: [&str; 3] = [
    "score_include",
    "short_interview_minutes",
    "assignments_required",
];

impl Action {
    /// Every action, in the table's order.
    pub fn all() -> impl Iterator<Item = Action> {
        PERMISSIONS.iter().map(|(a, _)| *a)
    }

    /// The action that changing the survey setting `key` takes.
    pub fn change_setting(key: &str) -> Action {
        if FIELDWORK_SETTINGS.contains(&key) {
            Action::ChangeFieldworkSettings
        } else {
            Action::ChangeAnySetting
        }
    }

    /// The roles that may do this action at all.
    pub fn roles(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| r.may(self).is_some())
    }

    /// What the action is, to say what was refused: (Vietnamese, English).
    pub fn describe(self) -> (&'static str, &'static str) {
        match self {
            Action::ReadSurveys => ("xem các khảo sát", "read the surveys"),
            Action::SubmitInterview => ("thu thập phiếu phỏng vấn", "collect interviews"),
            Action::UploadDeviceFile => (
                "nhận phiếu từ tệp của thiết bị",
                "upload a device's file of interviews",
            ),
            Action::KeepDeviceToken => (
                "giữ mã truy cập trên thiết bị (chỉ điều tra viên)",
                "keep a token on a device (enumerators only)",
            ),
            Action::ReadAnswers => ("đọc câu trả lời của người dân", "read respondents' answers"),
            Action::ViewFieldwork => ("xem tiến độ thực địa", "see the fieldwork"),
            Action::Review => ("duyệt phiếu phỏng vấn", "review interviews"),
            Action::ChangeFieldworkSettings => {
                ("thay đổi cài đặt khảo sát", "change survey settings")
            }
            Action::ChangeAnySetting => (
                "thay đổi mọi cài đặt khảo sát",
                "change every survey setting",
            ),
            Action::RegisterSample => ("đăng ký mẫu khảo sát", "register a sample"),
            Action::ReadSample => ("xem mẫu khảo sát", "read the sample"),
            Action::ReadAssignments => ("xem phân công", "read assignments"),
            Action::AssignVillages => ("phân công địa bàn", "assign villages"),
            Action::ViewDashboard => ("xem bảng điều hành", "see the dashboard"),
            Action::UpdatePlanTasks => {
                ("cập nhật nhiệm vụ của kế hoạch", "update the plan's tasks")
            }
            Action::ViewAnalysis => ("xem trang phân tích", "see the analysis page"),
            Action::Recompute => ("tính lại và công bố điểm", "recompute and publish scores"),
            Action::Export => ("xuất dữ liệu phiếu phỏng vấn", "export interviews"),
            Action::CompareRuns => ("so sánh các lần tính điểm", "compare score runs"),
            Action::ReadMetrics => ("xem số đo của dịch vụ", "read the service's metrics"),
        }
    }
}

impl Role {
    /// Whether this role may do `action`, and over what: the table's answer.
    pub fn may(self, action: Action) -> Option<Scope> {
        let (_, grants) = PERMISSIONS
            .iter()
            .find(|(a, _)| *a == action)
            .expect("every action has a row in the table");
        match grants[self as usize] {
            Grant::No => None,
            Grant::Own => Some(Scope::Own),
            Grant::All => Some(Scope::All),
        }
    }

    /// Whether this role may do `action` over anything at all.
    pub fn can(self, action: Action) -> bool {
        self.may(action).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_exactly_one_row_and_columns_follow_the_roles() {
        for (i, (a, _)) in PERMISSIONS.iter().enumerate() {
            assert!(
                PERMISSIONS[i + 1..].iter().all(|(b, _)| b != a),
                "{a:?} twice"
            );
        }
        for (i, role) in Role::ALL.into_iter().enumerate() {
            assert_eq!(role as usize, i);
        }
    }

    #[test]
    fn leaders_never_read_answers_and_enumerators_only_their_own() {
        assert_eq!(Role::Leader.may(Action::ReadAnswers), None);
        assert_eq!(Role::Enumerator.may(Action::ReadAnswers), Some(Scope::Own));
        assert_eq!(
            Role::Enumerator.may(Action::SubmitInterview),
            Some(Scope::Own)
        );
        assert!(!Role::Analyst.can(Action::SubmitInterview));
        assert!(!Role::Enumerator.can(Action::ViewDashboard));
    }

    #[test]
    fn only_an_administrator_changes_how_small_a_group_the_dashboard_shows() {
        let min = Action::change_setting("dashboard_min_respondents");
        assert!(Role::Admin.can(min));
        assert!(!Role::Supervisor.can(min));
        assert!(Role::Supervisor.can(Action::change_setting("score_include")));
        assert!(!Role::Supervisor.can(Action::change_setting("a_setting_not_yet_listed")));
        for role in [Role::Analyst, Role::Leader, Role::Enumerator] {
            assert!(!role.can(Action::ChangeFieldworkSettings));
        }
    }

    #[test]
    fn the_analysis_page_is_for_whoever_recomputes_or_exports() {
        for role in Role::ALL {
            assert_eq!(
                role.can(Action::ViewAnalysis),
                role.can(Action::Recompute) || role.can(Action::Export),
                "{role}"
            );
        }
    }
}
