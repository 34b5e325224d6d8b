//! The checked survey model: what the rest of papi reads.

use std::collections::{BTreeMap, HashMap};

use crate::expr::Expr;
use crate::text::Label;

/// A loaded, consistent survey definition. Build one with [`Survey::load`] or [`Survey::from_toml`].
#[derive(Debug, Clone)]
pub struct Survey {
    pub id: String,
    pub version: String,
    pub title: Label,
    /// The first is the default language.
    pub languages: Vec<String>,
    pub design: Design,
    pub baseline: Option<Baseline>,
    pub choice_lists: BTreeMap<String, Vec<Choice>>,
    /// Headings of the groups questions name, where the definition gives them.
    pub groups: Vec<Group>,
    pub dimensions: Vec<Dimension>,
    pub questions: Vec<Question>,
    pub indicators: Vec<Indicator>,
    pub(crate) question_index: HashMap<String, usize>,
    /// SHA-256 of the definition file, in hex: names the exact definition a score run used.
    pub hash: String,
    /// The TOML text, kept so that storage can record the definition an interview answered.
    pub source: String,
}

/// The columns of an interview that carry the sample design.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Design {
    /// Geography, coarse to fine (`province`, `district`, `commune`, `village`).
    pub location: Vec<String>,
    pub strata: Option<String>,
    pub cluster: Option<String>,
    pub weight: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub label: Label,
    pub province: Option<String>,
    pub year: Option<i32>,
    pub total: f64,
    /// One score per dimension, in the order of [`Survey::dimensions`].
    pub dimensions: Vec<f64>,
    /// The baseline's own sampling error, where the definition gives it.
    pub standard_errors: BaselineStandardErrors,
}

/// Standard errors of the baseline's scores (`[baseline.standard_errors]`). The baseline comes from an
/// independent sample, so a change from it carries both errors; where none is given the baseline is
/// treated as exact, and reports say so.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BaselineStandardErrors {
    pub total: Option<f64>,
    /// One per dimension, in the order of [`Survey::dimensions`]; `None` where not given.
    pub dimensions: Vec<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: Label,
    /// Further columns of the choices sheet (what a `choice_filter` reads), by column name.
    pub columns: BTreeMap<String, String>,
    /// An image shown with the choice, per language.
    pub image: Option<Label>,
}

/// A group of questions shown together under a heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    pub label: Label,
    pub appearance: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dimension {
    pub id: String,
    pub label: Label,
    pub subdimensions: Vec<Subdimension>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subdimension {
    pub id: String,
    pub label: Label,
    /// Positions in [`Survey::indicators`].
    pub indicators: Vec<usize>,
}

/// A question's type, in XLSForm's vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuestionType {
    SelectOne,
    SelectMultiple,
    Integer,
    Decimal,
    Text,
    Date,
    Time,
    DateTime,
    /// A text shown to the enumerator; it takes no answer.
    Note,
    /// A value computed by the server from the answers before it (`calculation`).
    Calculate,
    /// A box ticked to say "OK"; its answer is `OK`.
    Acknowledge,
    Geopoint,
    Geotrace,
    Geoshape,
    Barcode,
    /// A number picked on a scale (`parameters`: start, end, step).
    Range,
    Image,
    Audio,
    Video,
    File,
    /// The day of the interview, recorded by the device.
    Today,
    DeviceId,
    PhoneNumber,
    Username,
    Email,
    SubscriberId,
    SimSerial,
    /// The device's audit log of the interview (its file name).
    Audit,
    /// A group answered any number of times; its questions name it in `repeat`.
    Repeat,
}

/// What an answer of a type is, as the API takes it and the store keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerKind {
    Choice,
    Choices,
    Integer,
    Decimal,
    Text,
    Date,
    /// A calculation's result: a number or a text.
    Calculated,
    /// No answer at all (notes).
    Nothing,
    /// A list of objects, one per repetition.
    Repeat,
}

const TYPE_NAMES: [(QuestionType, &str); 29] = [
    (QuestionType::SelectOne, "select_one"),
    (QuestionType::SelectMultiple, "select_multiple"),
    (QuestionType::Integer, "integer"),
    (QuestionType::Decimal, "decimal"),
    (QuestionType::Text, "text"),
    (QuestionType::Date, "date"),
    (QuestionType::Time, "time"),
    (QuestionType::DateTime, "datetime"),
    (QuestionType::Note, "note"),
    (QuestionType::Calculate, "calculate"),
    (QuestionType::Acknowledge, "acknowledge"),
    (QuestionType::Geopoint, "geopoint"),
    (QuestionType::Geotrace, "geotrace"),
    (QuestionType::Geoshape, "geoshape"),
    (QuestionType::Barcode, "barcode"),
    (QuestionType::Range, "range"),
    (QuestionType::Image, "image"),
    (QuestionType::Audio, "audio"),
    (QuestionType::Video, "video"),
    (QuestionType::File, "file"),
    (QuestionType::Today, "today"),
    (QuestionType::DeviceId, "deviceid"),
    (QuestionType::PhoneNumber, "phonenumber"),
    (QuestionType::Username, "username"),
    (QuestionType::Email, "email"),
    (QuestionType::SubscriberId, "subscriberid"),
    (QuestionType::SimSerial, "simserial"),
    (QuestionType::Audit, "audit"),
    (QuestionType::Repeat, "repeat"),
];

impl QuestionType {
    pub fn parse(s: &str) -> Option<QuestionType> {
        TYPE_NAMES.iter().find(|(_, n)| *n == s).map(|(t, _)| *t)
    }

    pub fn name(self) -> &'static str {
        TYPE_NAMES
            .iter()
            .find(|(t, _)| *t == self)
            .map(|(_, n)| *n)
            .expect("every type has a name")
    }

    /// Every type's name, for messages.
    pub fn names() -> impl Iterator<Item = &'static str> {
        TYPE_NAMES.iter().map(|(_, n)| *n)
    }

    pub fn is_select(self) -> bool {
        matches!(self, QuestionType::SelectOne | QuestionType::SelectMultiple)
    }

    pub fn answer_kind(self) -> AnswerKind {
        use QuestionType::*;
        match self {
            SelectOne => AnswerKind::Choice,
            SelectMultiple => AnswerKind::Choices,
            Integer => AnswerKind::Integer,
            Decimal | Range => AnswerKind::Decimal,
            Date | Today => AnswerKind::Date,
            Note => AnswerKind::Nothing,
            Calculate => AnswerKind::Calculated,
            Repeat => AnswerKind::Repeat,
            Text | Time | DateTime | Acknowledge | Geopoint | Geotrace | Geoshape | Barcode
            | Image | Audio | Video | File | DeviceId | PhoneNumber | Username | Email
            | SubscriberId | SimSerial | Audit => AnswerKind::Text,
        }
    }

    /// Recorded by the device, never shown as a question.
    pub fn is_metadata(self) -> bool {
        use QuestionType::*;
        matches!(
            self,
            Today | DeviceId | PhoneNumber | Username | Email | SubscriberId | SimSerial | Audit
        )
    }

    /// Answered by a file sent beside the interview; the answer is the file's name.
    pub fn is_media(self) -> bool {
        use QuestionType::*;
        matches!(self, Image | Audio | Video | File | Audit)
    }

    /// Whether an answer may be scored as a number (`range` indicators).
    pub fn is_numeric(self) -> bool {
        use QuestionType::*;
        matches!(self, Integer | Decimal | Range | Calculate)
    }
}

#[derive(Debug, Clone)]
pub struct Question {
    pub id: String,
    pub kind: QuestionType,
    /// The choice list name, for select questions.
    pub choices: Option<String>,
    pub label: Label,
    pub hint: Option<Label>,
    pub group: Option<String>,
    /// The position of the repeat this question belongs to; its answers are one per repetition.
    pub repeat: Option<usize>,
    pub required: bool,
    /// Required only when this holds (XLSForm's `required` given as an expression).
    pub required_if_source: Option<String>,
    pub required_if: Option<Expr>,
    pub required_message: Option<Label>,
    pub relevant_source: Option<String>,
    pub relevant: Option<Expr>,
    pub constraint_source: Option<String>,
    pub constraint: Option<Expr>,
    pub constraint_message: Option<Label>,
    /// `calculate`: the expression whose value the server stores as the answer.
    pub calculation_source: Option<String>,
    pub calculation: Option<Expr>,
    /// Which choices are offered, given the answers before (a cascading select). Bare names are
    /// columns of the choice list; `${name}` are answers.
    pub choice_filter_source: Option<String>,
    pub choice_filter: Option<Expr>,
    /// `repeat`: how many repetitions there must be.
    pub repeat_count_source: Option<String>,
    pub repeat_count: Option<Expr>,
    /// The answer the form starts with.
    pub default: Option<String>,
    /// How the form shows the question (XLSForm `appearance`, passed on to ODK clients).
    pub appearance: Option<String>,
    /// Shown but not editable in the form.
    pub read_only: bool,
    /// A longer help text, shown on request (`guidance_hint`).
    pub guidance_hint: Option<Label>,
    /// `range`: its scale; other types: further settings passed on to ODK clients.
    pub parameters: Option<String>,
    /// An image shown with the label, per language (`media::image`).
    pub image: Option<Label>,
}

impl Question {
    /// The scale of a `range` question: (start, end, step), XLSForm's defaults 1, 10, 1.
    pub fn range_scale(&self) -> (f64, f64, f64) {
        let mut scale = (1.0, 10.0, 1.0);
        for part in self.parameters.as_deref().unwrap_or("").split_whitespace() {
            if let Some((k, v)) = part.split_once('=') {
                if let Ok(x) = v.trim().parse::<f64>() {
                    match k.trim() {
                        "start" => scale.0 = x,
                        "end" => scale.1 = x,
                        "step" => scale.2 = x,
                        _ => {}
                    }
                }
            }
        }
        scale
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub id: String,
    /// Position in [`Survey::dimensions`].
    pub dimension: usize,
    /// Position in that dimension's sub-dimensions.
    pub subdimension: usize,
    /// Position in [`Survey::questions`].
    pub question: usize,
    pub label: Label,
    pub weight: f64,
    pub scoring: Scoring,
}

/// How an answer becomes a score in [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub enum Scoring {
    /// select_one: choice → score; unlisted choices are missing.
    Values(Vec<(String, f64)>),
    /// integer/decimal: (x − lo)/(hi − lo) clipped to [0, 1], or one minus that.
    Range { lo: f64, hi: f64, reverse: bool },
    /// select_multiple: 1 if any listed choice is selected, else 0.
    AnyOf(Vec<String>),
}

impl Survey {
    /// The position of a question by id.
    pub fn question_position(&self, id: &str) -> Option<usize> {
        self.question_index.get(id).copied()
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.question_position(id).map(|i| &self.questions[i])
    }

    pub fn choices_of(&self, q: &Question) -> &[Choice] {
        q.choices
            .as_ref()
            .and_then(|l| self.choice_lists.get(l))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The heading of a group: its label, or its id where the definition gives none.
    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }

    pub fn subdimension_count(&self) -> usize {
        self.dimensions.iter().map(|d| d.subdimensions.len()).sum()
    }

    /// The default language (the first listed).
    pub fn default_language(&self) -> &str {
        self.languages.first().map(String::as_str).unwrap_or("vi")
    }
}
