{{ config(meta={'dagster': {'ref': {'name': 'int_person_crosswalk'}}}) }}
-- A valid document is the identity: all records carrying the same document share
-- one person key, and a person key never gathers two different documents.
with linked as (
    select c.persona_key, r.documento_id
    from {{ ref('int_person_crosswalk') }} as c
    inner join {{ ref('int_person_records') }} as r
        on r.fuente = c.fuente and r.fuente_id = c.fuente_id
    where r.documento_id is not null
)

select 'documento con varias personas' as problema, documento_id as valor, count(distinct persona_key) as n
from linked
group by documento_id
having count(distinct persona_key) > 1

union all

select 'persona con varios documentos', persona_key, count(distinct documento_id)
from linked
group by persona_key
having count(distinct documento_id) > 1
