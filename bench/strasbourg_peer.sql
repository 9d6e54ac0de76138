-- The Strasbourg grid (matching/grids/eurometropole-strasbourg.yaml) as one set-based SQL
-- statement over the application's tables: what a territory's IT team would write instead of
-- running the engine. PostgreSQL; parameters %(epci)s (organisation id), %(on)s (date) and
-- %(run)s (the cotation run); {partition} is the run's own table, created before and
-- indexed and attached after by the same code as the engine's (app/cotation/runs.py).
-- Same rules as the engine: seniority in whole months from filing, reset at the last refusal;
-- coefficients 1.3 (mobility 1.8 / 1.3 / 1.0 by the first wished commune), each counted
-- unless one of its verification keys is rejected; score = base x (1 + sum(coef - 1)) rounded
-- to the cent; priority = DALO or any L.441-1 criterion. First choice only.
INSERT INTO {partition} (run_id, demande_id, score, is_priority)
WITH d AS (
    SELECT * FROM demandes WHERE epci_id = %(epci)s AND status = 'active'
), members AS (
    SELECT m.demande_id,
           count(*) AS size,
           count(*) FILTER (WHERE m.birth_date IS NOT NULL
                            AND date_part('year', age(%(on)s::date, m.birth_date)) < 14) AS children
    FROM household_members m JOIN d ON d.id = m.demande_id
    GROUP BY m.demande_id
), refused AS (
    SELECT r.demande_id, max(r.refused_on) AS last_refusal
    FROM refusals r JOIN d ON d.id = r.demande_id
    WHERE r.refused_on <= %(on)s::date
    GROUP BY r.demande_id
), reasons AS (
    SELECT x.demande_id,
           bool_or(x.reason IN ('sans_logement', 'heberge', 'logement_temporaire', 'demolition',
                                'logement_indigne', 'reprise_vente_proprietaire', 'expulsion'))
               AS precarious,
           bool_or(x.reason = 'mobilite_professionnelle') AS mobility,
           bool_or(x.reason = 'divorce_separation') AS separation,
           bool_or(x.reason = 'decohabitation') AS decohabitation
    FROM demande_reasons x JOIN d ON d.id = x.demande_id
    GROUP BY x.demande_id
), jobs AS (
    SELECT DISTINCT e.demande_id
    FROM employments e JOIN d ON d.id = e.demande_id
    JOIN household_members m ON m.demande_id = e.demande_id AND m.position = e.member_position
    WHERE NOT m.is_dependent AND e.contract IN ('cdd', 'interim', 'stage', 'apprentissage', 'chomage')
), rejected AS (
    SELECT v.demande_id, array_agg(v.criterion) AS keys
    FROM verifications v JOIN d ON d.id = v.demande_id
    WHERE v.status = 'rejected'
    GROUP BY v.demande_id
), priorities AS (
    SELECT DISTINCT p.demande_id FROM priority_criteria p JOIN d ON d.id = p.demande_id
), first_wish AS (
    SELECT w.demande_id, w.commune_insee
    FROM wished_communes w JOIN d ON d.id = w.demande_id
    WHERE w.rank = 1
), facts AS (
    SELECT d.id, d.is_dalo, d.is_acd_labelled, d.needs_accessible, d.current_housing_kind AS kind,
           coalesce(j.keys, '{}') AS rejected,
           CASE WHEN f.last_refusal > d.filed_on THEN f.last_refusal ELSE d.filed_on END AS start,
           (coalesce(d.current_rent::float8, 0) + coalesce(d.current_charges::float8, 0)) - 0.0
               AS cost,
           d.monthly_resources::float8 AS resources,
           CASE WHEN m.size > m.children
                THEN 1.0::float8 + 0.5 * (m.size - m.children - 1) + 0.3 * m.children
                ELSE 0.3 * m.children + 0.7 END AS units,
           m.size - d.current_rooms AS gap,
           coalesce(r.precarious, false) AS precarious,
           coalesce(r.mobility, false) AS mobility,
           coalesce(r.separation, false) AS separation,
           coalesce(r.decohabitation, false) AS decohabitation,
           jb.demande_id IS NOT NULL AS precarious_job,
           pr.demande_id IS NOT NULL AS l441_1,
           CASE WHEN d.current_commune_insee IS NULL THEN 1.0
                WHEN d.current_commune_insee = w.commune_insee THEN 1.0
                WHEN c.epci_id = d.epci_id THEN 1.3
                ELSE 1.8 END AS mobility_coefficient
    FROM d
    JOIN members m ON m.demande_id = d.id
    LEFT JOIN refused f ON f.demande_id = d.id
    LEFT JOIN reasons r ON r.demande_id = d.id
    LEFT JOIN jobs jb ON jb.demande_id = d.id
    LEFT JOIN rejected j ON j.demande_id = d.id
    LEFT JOIN priorities pr ON pr.demande_id = d.id
    LEFT JOIN first_wish w ON w.demande_id = d.id
    LEFT JOIN communes c ON c.insee = d.current_commune_insee
), scored AS (
    SELECT id, is_dalo OR l441_1 AS priority,
           greatest(0, (date_part('year', %(on)s::date) - date_part('year', start)) * 12
                       + date_part('month', %(on)s::date) - date_part('month', start)
                       - CASE WHEN date_part('day', %(on)s::date) < date_part('day', start)
                              THEN 1 ELSE 0 END)::float8 AS base,
           -- one term per criterion, in the grid's order: coefficient - 1 where it counts
           (((((((((0.0::float8
             + CASE WHEN is_acd_labelled AND NOT 'priority' = ANY(rejected)
                    THEN 1.3::float8 - 1.0 ELSE 0.0 END)
             + CASE WHEN resources > 0 AND cost / resources > 0.33
                     AND NOT rejected && ARRAY['monthly_resources', 'current_housing']::varchar[]
                    THEN 1.3::float8 - 1.0 ELSE 0.0 END)
             + CASE WHEN resources IS NOT NULL AND (resources - cost) / units / 30.0 < 10
                     AND NOT rejected && ARRAY['monthly_resources', 'current_housing',
                                               'household']::varchar[]
                    THEN 1.3::float8 - 1.0 ELSE 0.0 END)
             + CASE WHEN (kind IN ('residence_sociale', 'foyer', 'pension_de_famille', 'rhvs',
                                   'sous_locataire', 'heberge_tiers', 'logement_temporaire',
                                   'structure_hebergement', 'centre_enfance_maternel',
                                   'camping_caravane', 'hotel', 'sans_abri', 'squat')
                          OR precarious)
                     AND NOT rejected && ARRAY['current_housing', 'reasons']::varchar[]
                    THEN 1.3::float8 - 1.0 ELSE 0.0 END)
             + CASE WHEN precarious_job AND NOT 'employment' = ANY(rejected)
                    THEN 1.3::float8 - 1.0 ELSE 0.0 END)
             + CASE WHEN needs_accessible AND NOT 'handicap' = ANY(rejected)
                    THEN 1.3::float8 - 1.0 ELSE 0.0 END)
             + CASE WHEN (gap >= 2 OR gap <= -2)
                     AND NOT rejected && ARRAY['household', 'current_housing']::varchar[]
                    THEN 1.3::float8 - 1.0 ELSE 0.0 END)
             + CASE WHEN mobility
                     AND NOT rejected && ARRAY['reasons', 'current_housing']::varchar[]
                    THEN mobility_coefficient::float8 - 1.0 ELSE 0.0 END)
             + CASE WHEN separation AND NOT 'reasons' = ANY(rejected)
                    THEN 1.3::float8 - 1.0 ELSE 0.0 END)
             + CASE WHEN (kind = 'chez_parents_enfants' OR decohabitation)
                     AND NOT rejected && ARRAY['current_housing', 'reasons']::varchar[]
                    THEN 1.3::float8 - 1.0 ELSE 0.0 END AS acc
    FROM facts
)
SELECT %(run)s, id, floor(base * (1.0 + acc) * 100.0 + 0.5) / 100.0, priority
FROM scored
