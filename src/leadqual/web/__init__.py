"""The pages that show several apps at once, with the view helpers they share.

The lead page (score, explanation, timeline, BANT, feedback, outcome), the
sales queue and its actions, the accounts pages and the data-quality page
compose the apps below: scoring, triage, hygiene, privacy. They live here, in
one web layer above those apps, so no app borrows another app's views.
"""
