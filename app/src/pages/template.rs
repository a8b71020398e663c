//! `/template`: the checklist template. The newest version is edited here as a whole list
//! (edit, add, remove, reorder within a phase) and every save makes a new version; new
//! projects copy the newest, projects under way keep their own checklist.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{fmt_time, ErrorBox, LoadError};
use crate::model::{due_label, parse_due_label, EvidenceFrom, TemplateDraft, TemplateItemEdit, TemplateSave};
use crate::phases::PHASES;
use crate::server_fns::{error_text, get_template_draft, get_template_versions, save_template};

/// An item in the editor: `id` is local to the page (new items have no key yet).
#[derive(Debug, Clone, PartialEq)]
struct Row {
    id: u32,
    item: TemplateItemEdit,
    removed: bool,
}

/// What the editor's list changes against the version it started from.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Changes {
    changed: usize,
    added: usize,
    removed: usize,
    reordered: bool,
}

impl Changes {
    fn of(original: &[TemplateItemEdit], rows: &[Row]) -> Changes {
        let before = |key: &str| original.iter().find(|o| o.key == key);
        let live: Vec<&Row> = rows.iter().filter(|r| !r.removed).collect();
        let kept_after: Vec<&str> = live.iter().filter(|r| !r.item.key.is_empty()).map(|r| r.item.key.as_str()).collect();
        let kept_before: Vec<&str> = original.iter().filter(|o| kept_after.contains(&o.key.as_str())).map(|o| o.key.as_str()).collect();
        Changes {
            changed: live.iter().filter(|r| before(&r.item.key).is_some_and(|o| *o != r.item)).count(),
            added: live.iter().filter(|r| r.item.key.is_empty()).count(),
            removed: rows.iter().filter(|r| r.removed && !r.item.key.is_empty()).count(),
            reordered: kept_before != kept_after,
        }
    }

    fn any(self) -> bool {
        self.changed + self.added + self.removed > 0 || self.reordered
    }

    fn words(self) -> String {
        let mut parts: Vec<String> = [(self.changed, "changed"), (self.added, "added"), (self.removed, "removed")]
            .into_iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
        if self.reordered {
            parts.push("reordered".into());
        }
        if parts.is_empty() {
            "No changes yet".into()
        } else {
            format!("Unsaved: {}", parts.join(" · "))
        }
    }
}

#[component]
pub fn TemplatePage() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let saved = RwSignal::new(None::<i64>);
    let draft = crate::components::resource(move || reload.get(), |_| get_template_draft());
    let versions = crate::components::resource(move || reload.get(), |_| get_template_versions());
    view! {
        <Title text="Checklist template"/>
        <div class="page-head">
            <div>
                <h1>"Checklist template"</h1>
                <p class="muted">"New projects copy the newest version; projects already under way keep their own checklist. Every save makes a new version, and all versions stay listed below."</p>
            </div>
        </div>
        {move || saved.get().map(|v| view! { <div class="alert ok" role="status">{format!("Saved as version {v}. Projects created from now on get it.")}</div> })}
        <Transition fallback=|| view! { <p class="muted">"Loading the template…"</p> }>
            {move || Suspend::new(async move {
                match draft.await {
                    Ok(d) => view! { <TemplateEditor draft=d reload saved/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
        <h2 id="versions">"Versions"</h2>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match versions.await {
                    Ok(versions) => view! {
                        <ol class="version-list">
                            {versions.into_iter().enumerate().map(|(i, v)| {
                                let learned: Vec<_> = v.items.iter().filter(|it| it.origin != "built-in").cloned().collect();
                                view! {
                                    <li class="card">
                                        <h3>{format!("Version {}", v.version)} {(i == 0).then(|| view! { " " <span class="chip pass">"current"</span> })}</h3>
                                        <p class="muted">{format!("{} · {} items · {}", v.source, v.items.len(), fmt_time(v.created_at))}</p>
                                        {(!learned.is_empty()).then(|| view! {
                                            <details>
                                                <summary>{format!("{} items the team added or changed", learned.len())}</summary>
                                                <ul class="change-list">
                                                    {learned.into_iter().map(|it| view! { <li><strong>{it.title}</strong> <div class="muted small">{origin_words(&it.origin)}</div></li> }).collect_view()}
                                                </ul>
                                            </details>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// "from the retrospective of …", "added in the template editor by …", "built-in, edited by …".
fn origin_words(origin: &str) -> String {
    if origin.starts_with("retrospective") {
        format!("from the {origin}")
    } else {
        origin.to_string()
    }
}

#[component]
fn TemplateEditor(draft: TemplateDraft, reload: RwSignal<u32>, saved: RwSignal<Option<i64>>) -> impl IntoView {
    let TemplateDraft { version, items } = draft;
    let original = StoredValue::new(items.clone());
    let fresh =
        move || original.with_value(|o| o.iter().enumerate().map(|(i, item)| Row { id: i as u32, item: item.clone(), removed: false }).collect::<Vec<_>>());
    let rows = RwSignal::new(fresh());
    let next_id = StoredValue::new(items.len() as u32);
    let editing = RwSignal::new(None::<u32>);
    let note = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let changes = Memo::new(move |_| original.with_value(|o| rows.with(|r| Changes::of(o, r))));

    let add = move |phase: &'static str, default_due: i64| {
        let id = next_id.get_value();
        next_id.set_value(id + 1);
        let item = TemplateItemEdit {
            key: String::new(),
            phase: phase.to_string(),
            title: String::new(),
            why: String::new(),
            due: due_label(default_due),
            checks: vec![],
            evidence_from: EvidenceFrom::Any,
            signals: vec![],
            origin: String::new(),
        };
        rows.update(|r| {
            let at = r.iter().rposition(|x| x.item.phase == phase).map(|p| p + 1).unwrap_or(r.len());
            r.insert(at, Row { id, item, removed: false });
        });
        editing.set(Some(id));
    };
    let save = move |_| {
        if editing.get_untracked().is_some() {
            error.set(Some("Press Done (or Cancel) on the item you are editing first.".into()));
            return;
        }
        let input = TemplateSave {
            base_version: version,
            items: rows.with_untracked(|r| r.iter().filter(|r| !r.removed).map(|r| r.item.clone()).collect()),
            note: note.get_untracked(),
        };
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match save_template(input).await {
                Ok(v) => {
                    saved.set(Some(v));
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
            busy.set(false);
        });
    };
    let discard = move |_| {
        rows.set(fresh());
        editing.set(None);
        error.set(None);
    };

    view! {
        <section class="card template-editor" aria-labelledby="tpl-head">
            <h2 id="tpl-head">{format!("Version {version} · {} items", items.len())}</h2>
            <p class="muted small">"Edit, add, remove or move items, then save them together as the next version. The due is counted from launch day: T-7d is a week before, T+1d the day after."</p>
            {PHASES.iter().map(|p| {
                let (phase, default_due) = (p.key, p.default_due);
                let in_phase = move || rows.with(|r| r.iter().filter(|x| x.item.phase == phase).map(|x| x.id).collect::<Vec<_>>());
                view! {
                    <section class="tpl-phase" aria-label=p.title>
                        <h3>{p.title} " " <span class="muted small">{move || format!("{} items", rows.with(|r| r.iter().filter(|x| x.item.phase == phase && !x.removed).count()))}</span></h3>
                        <ul class="items">
                            <For each=in_phase key=|id| *id children=move |id| view! { <TemplateRow id rows editing original/> }/>
                        </ul>
                        <button class="small" on:click=move |_| add(phase, default_due)>{format!("Add an item to {}", p.title)}</button>
                    </section>
                }
            }).collect_view()}
        </section>
        <div class="card save-bar" role="region" aria-label="Save the template">
            <p class="save-summary" aria-live="polite"><strong>{move || changes.get().words()}</strong></p>
            <label>"What changed and why (optional)" <input type="text" maxlength="300" placeholder="e.g. Our hosting checks after the Acme launch" bind:value=note/></label>
            {move || error.get().map(|e| view! { <ErrorBox message=e/> })}
            <div class="toolbar">
                <button class="primary" on:click=save disabled=move || busy.get() || !changes.get().any()>{format!("Save as version {}", version + 1)}</button>
                <button on:click=discard disabled=move || !changes.get().any()>"Discard changes"</button>
            </div>
        </div>
    }
}

/// One item: its title, due and checks, with move / edit / remove; the edit form opens in place.
#[component]
fn TemplateRow(id: u32, rows: RwSignal<Vec<Row>>, editing: RwSignal<Option<u32>>, original: StoredValue<Vec<TemplateItemEdit>>) -> impl IntoView {
    // Only this row's own changes re-render it: an open edit form keeps what is typed in it
    // while other rows move or are removed.
    let row = Memo::new(move |_| rows.with(|r| r.iter().find(|x| x.id == id).cloned()));
    // Moves the item past its neighbour of the same phase (-1 up, +1 down).
    let shift = move |dir: i32| {
        rows.update(|r| {
            let Some(at) = r.iter().position(|x| x.id == id) else { return };
            let phase = r[at].item.phase.clone();
            let other = if dir < 0 {
                r[..at].iter().rposition(|x| x.item.phase == phase)
            } else {
                r[at + 1..].iter().position(|x| x.item.phase == phase).map(|p| p + at + 1)
            };
            if let Some(o) = other {
                r.swap(at, o);
            }
        })
    };
    let set_removed = move |removed: bool| rows.update(|r| r.iter_mut().filter(|x| x.id == id).for_each(|x| x.removed = removed));
    move || {
        let Some(Row { item, removed, .. }) = row.get() else { return ().into_any() };
        let title = if item.title.is_empty() { "New item".to_string() } else { item.title.clone() };
        let status = if item.key.is_empty() {
            Some(("new", "chip pass"))
        } else if original.with_value(|o| o.iter().any(|x| x.key == item.key && *x != item)) {
            Some(("edited", "chip warn"))
        } else {
            None
        };
        let open = editing.get() == Some(id);
        view! {
            <li class="item tpl-item" class:removed=removed>
                <div class="item-main">
                    <div class="tpl-text">
                        <span class="item-title">{title.clone()}</span> " "
                        <span class="chip">{item.due.clone()}</span>
                        {status.map(|(w, c)| view! { " " <span class=c>{w}</span> })}
                        {removed.then(|| view! { " " <span class="chip fail">"removed"</span> })}
                        {(!item.checks.is_empty()).then(|| view! { <div class="muted small">{format!("Checks: {}", item.checks.join(", "))}</div> })}
                        {(!item.origin.is_empty() && item.origin != "built-in").then(|| view! { <div class="muted small">{origin_words(&item.origin)}</div> })}
                    </div>
                    <div class="toolbar">
                        {if removed {
                            view! { <button class="small" aria-label=format!("Undo remove: {title}") on:click=move |_| set_removed(false)>"Undo remove"</button> }.into_any()
                        } else {
                            let t = title.clone();
                            view! {
                                <button class="small" aria-label=format!("Move up: {t}") title="Move up" on:click=move |_| shift(-1)>"↑"</button>
                                <button class="small" aria-label=format!("Move down: {t}") title="Move down" on:click=move |_| shift(1)>"↓"</button>
                                <button class="small" aria-expanded=open.to_string() aria-label=format!("Edit: {t}") on:click=move |_| editing.set(if open { None } else { Some(id) })>"Edit"</button>
                                <button class="small danger" aria-label=format!("Remove: {t}") on:click=move |_| {
                                    set_removed(true);
                                    if open { editing.set(None) }
                                }>"Remove"</button>
                            }.into_any()
                        }}
                    </div>
                </div>
                {(open && !removed).then(|| view! { <ItemForm id item=item.clone() rows editing/> })}
            </li>
        }
        .into_any()
    }
}

#[component]
fn ItemForm(id: u32, item: TemplateItemEdit, rows: RwSignal<Vec<Row>>, editing: RwSignal<Option<u32>>) -> impl IntoView {
    let is_new = item.key.is_empty() && item.title.is_empty();
    let title = RwSignal::new(item.title.clone());
    let why = RwSignal::new(item.why.clone());
    let phase = RwSignal::new(item.phase.clone());
    let due = RwSignal::new(item.due.clone());
    let checks = RwSignal::new(item.checks.join(", "));
    let evidence = RwSignal::new(item.evidence_from.as_str().to_string());
    let problem = RwSignal::new(None::<String>);
    let done = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let t = title.get_untracked().trim().to_string();
        if t.is_empty() {
            problem.set(Some("Give the item a title.".into()));
            return;
        }
        if why.get_untracked().trim().is_empty() {
            problem.set(Some("Say why the item matters: people read it when they tick it.".into()));
            return;
        }
        let d = due.get_untracked().trim().to_string();
        if parse_due_label(&d).is_none() {
            problem.set(Some(format!("\"{d}\" is not a due: write T-7d for a week before launch, T-0d for launch day, T+1d for the day after.")));
            return;
        }
        let updated = TemplateItemEdit {
            title: t,
            why: why.get_untracked().trim().to_string(),
            phase: phase.get_untracked(),
            due: d,
            checks: checks.get_untracked().split([',', ' ', '\n']).map(str::trim).filter(|c| !c.is_empty()).map(String::from).collect(),
            evidence_from: EvidenceFrom::parse(&evidence.get_untracked()).unwrap_or_default(),
            ..item.clone()
        };
        rows.update(|r| {
            if let Some(x) = r.iter_mut().find(|x| x.id == id) {
                x.item = updated;
            }
        });
        editing.set(None);
    };
    let cancel = move |_| {
        if is_new {
            rows.update(|r| r.retain(|x| x.id != id));
        }
        editing.set(None);
    };
    let f = |name: &str| format!("tpl-{id}-{name}");
    view! {
        <form class="inline-grid tpl-form" on:submit=done>
            <label class="wide" for=f("title")>"Title"</label>
            <input class="wide" id=f("title") type="text" maxlength="200" required bind:value=title autofocus/>
            <label>"Phase"
                <select prop:value=move || phase.get() on:change=move |ev| phase.set(event_target_value(&ev))>
                    {PHASES.iter().map(|p| view! { <option value=p.key selected=move || phase.get() == p.key>{p.title}</option> }).collect_view()}
                </select>
            </label>
            <label>"Due (from launch)" <input type="text" placeholder="T-7d" bind:value=due/></label>
            <label>"Evidence from"
                <select prop:value=move || evidence.get() on:change=move |ev| evidence.set(event_target_value(&ev))>
                    {EvidenceFrom::ALL.into_iter().map(|e| view! { <option value=e.as_str() selected=move || evidence.get() == e.as_str()>{e.label()}</option> }).collect_view()}
                </select>
            </label>
            <label>"Automated checks (ids, optional)" <input type="text" placeholder="e.g. broken-link, favicon-missing" bind:value=checks/></label>
            <label class="wide">"Why it matters" <textarea rows="3" maxlength="2000" bind:value=why></textarea></label>
            {move || problem.get().map(|p| view! { <div class="wide"><ErrorBox message=p/></div> })}
            <div class="actions toolbar">
                <button type="submit" class="primary small">"Done"</button>
                <button type="button" class="small" on:click=cancel>"Cancel"</button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(key: &str, title: &str) -> TemplateItemEdit {
        TemplateItemEdit {
            key: key.into(),
            phase: "content".into(),
            title: title.into(),
            why: "because".into(),
            due: "T-7d".into(),
            checks: vec![],
            evidence_from: EvidenceFrom::Any,
            signals: vec![],
            origin: "built-in".into(),
        }
    }

    #[test]
    fn changes_count_edits_additions_removals_and_moves() {
        let original = vec![item("a", "A"), item("b", "B"), item("c", "C")];
        let rows = |items: Vec<(TemplateItemEdit, bool)>| {
            items.into_iter().enumerate().map(|(i, (item, removed))| Row { id: i as u32, item, removed }).collect::<Vec<_>>()
        };
        let same = rows(original.iter().cloned().map(|i| (i, false)).collect());
        assert!(!Changes::of(&original, &same).any());
        assert_eq!(Changes::of(&original, &same).words(), "No changes yet");
        let edited = rows(vec![(item("a", "A2"), false), (item("b", "B"), true), (item("c", "C"), false), (item("", "New"), false)]);
        let c = Changes::of(&original, &edited);
        assert_eq!((c.changed, c.added, c.removed, c.reordered), (1, 1, 1, false));
        assert_eq!(c.words(), "Unsaved: 1 changed · 1 added · 1 removed");
        let moved = rows(vec![(item("b", "B"), false), (item("a", "A"), false), (item("c", "C"), false)]);
        assert_eq!(Changes::of(&original, &moved).words(), "Unsaved: reordered");
        // A new item the user removed again is no change.
        let undone = rows(vec![(item("a", "A"), false), (item("b", "B"), false), (item("c", "C"), false), (item("", "New"), true)]);
        assert!(!Changes::of(&original, &undone).any());
    }
}
