{{ config(meta={'dagster': {'ref': {'name': 'persona'}}}) }}
-- The document persona shows is a valid document of one of the person's records:
-- never a fabricated number (e.g. a blank DNI padded to 00000000) nor an invalid one.
select p.persona_key, p.tipo_documento, p.numero_documento
from {{ ref('persona') }} as p
where p.numero_documento is not null
  and not exists (
      select 1
      from {{ ref('int_person_crosswalk') }} as c
      inner join {{ ref('int_person_records') }} as r
          on r.fuente = c.fuente and r.fuente_id = c.fuente_id
      where c.persona_key = p.persona_key
        and r.documento_id = p.tipo_documento || ':' || p.numero_documento
  )
