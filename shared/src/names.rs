//! Enums of names, each written once: [`named_enum!`] takes one line per value (its variant, its
//! text and, for what people read, its Vietnamese and English labels) and gives the list of
//! values (`ALL`), the text form (`as_str`), the labels (`label_vi`, `label_en`), the serde form
//! and the parser the CLI and the dashboard's query strings use (`FromStr`, whose error lists the
//! names). So the log's JSON, the CLI, the subjects and the pages cannot spell a value two ways.
//!
//! Postcard writes a variant's index, never its name: a value's place in the list is its wire
//! form, so values are only ever added at the end.

/// A name that is none of an enum's names, with the names it could have been.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a {what}; use one of: {}", names.join(", "))]
pub struct NameError {
    pub what: &'static str,
    pub value: String,
    pub names: Vec<&'static str>,
}

/// Defines an enum of names (see the module's documentation):
///
/// ```
/// reform_shared::named_enum! {
///     /// A colour.
///     pub enum Colour ("colour") {
///         /// The first.
///         Red = "red", "đỏ", "red";
///         Green = "green", "xanh lá", "green";
///     }
/// }
/// assert_eq!("green".parse::<Colour>(), Ok(Colour::Green));
/// assert_eq!(Colour::Red.label_vi(), "đỏ");
/// assert_eq!(serde_json::to_string(&Colour::Green).unwrap(), "\"green\"");
/// ```
///
/// Values without labels (`Red = "red";`) get no `label_vi` or `label_en`.
#[macro_export]
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $ty:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $name:literal, $vi:literal, $en:literal; )+
        }
    ) => {
        $crate::named_enum! {
            $(#[$meta])*
            $vis enum $ty ($what) { $( $(#[$vmeta])* $variant = $name; )+ }
        }

        impl $ty {
            /// The label shown to people on Vietnamese pages and in the CLI.
            pub fn label_vi(self) -> &'static str {
                match self { $( $ty::$variant => $vi, )+ }
            }

            /// The label on the dashboard's English pages.
            pub fn label_en(self) -> &'static str {
                match self { $( $ty::$variant => $en, )+ }
            }
        }
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $ty:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $name:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize,
        )]
        $vis enum $ty {
            $( $(#[$vmeta])* #[serde(rename = $name)] $variant, )+
        }

        impl $ty {
            /// Every value, in the order they were defined (their wire order).
            pub const ALL: [$ty; [$($name),+].len()] = [$($ty::$variant),+];

            /// The name used in the CLI, subjects and JSON.
            pub fn as_str(self) -> &'static str {
                match self { $( $ty::$variant => $name, )+ }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::names::NameError;
            fn from_str(text: &str) -> Result<Self, $crate::names::NameError> {
                <$ty>::ALL.into_iter().find(|v| v.as_str() == text).ok_or_else(|| {
                    $crate::names::NameError {
                        what: $what,
                        value: text.to_owned(),
                        names: <$ty>::ALL.iter().map(|v| v.as_str()).collect(),
                    }
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::named_enum! {
        enum Sample ("sample") {
            One = "one", "một", "one";
            TwoWords = "two-words", "hai từ", "two words";
        }
    }

    #[test]
    fn each_form_is_the_one_name() {
        for value in Sample::ALL {
            let json = serde_json::to_string(&value).expect("json");
            assert_eq!(json, format!("\"{}\"", value.as_str()));
            assert_eq!(value.as_str().parse::<Sample>(), Ok(value));
            let back: Sample = serde_json::from_str(&json).expect("back");
            assert_eq!(back, value);
        }
        let error = "three".parse::<Sample>().expect_err("not a name");
        assert_eq!(error.to_string(), "\"three\" is not a sample; use one of: one, two-words");
        assert_eq!((Sample::TwoWords.label_vi(), Sample::One.label_en()), ("hai từ", "one"));
        // Postcard writes the index: the second value is 1.
        assert_eq!(postcard::to_allocvec(&Sample::TwoWords).expect("postcard"), vec![1]);
    }
}
