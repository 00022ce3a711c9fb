{{ config(meta={'dagster': {'ref': {'name': 'int_person_crosswalk'}}}) }}
-- Key of the crosswalk: exactly one person key per source record, and every
-- person record is resolved (none left out, none invented).
with crosswalk as (
    select fuente, fuente_id, count(*) as filas
    from {{ ref('int_person_crosswalk') }}
    group by fuente, fuente_id
),

records as (
    select distinct fuente, fuente_id from {{ ref('int_person_records') }}
)

select coalesce(c.fuente, r.fuente) as fuente, coalesce(c.fuente_id, r.fuente_id) as fuente_id,
       coalesce(c.filas, 0) as filas
from crosswalk as c
full outer join records as r on r.fuente = c.fuente and r.fuente_id = c.fuente_id
where c.filas is distinct from 1 or r.fuente is null
