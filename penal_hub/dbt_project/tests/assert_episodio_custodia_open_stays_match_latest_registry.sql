{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'episodio_custodia'}}}) }}
-- Cross-check of the two registry views: the inmates with an open stay are those in
-- the latest internos.csv, in the establishment it lists. A mismatch means a
-- movement is missing from or contradicts the snapshot (a feed problem to
-- investigate, hence warn rather than stop the run).
with latest as (
    select id_interno, cod_ep
    from {{ ref('situacion_juridica_historial') }}
    where fecha_corte = (select max(fecha_corte) from {{ ref('situacion_juridica_historial') }})
),

open_stays as (
    select id_interno, cod_ep
    from {{ ref('episodio_custodia') }}
    where fecha_fin is null
)

select coalesce(l.id_interno, o.id_interno) as id_interno, l.cod_ep as cod_ep_registro, o.cod_ep as cod_ep_estancia
from latest as l
full outer join open_stays as o on o.id_interno = l.id_interno
where l.id_interno is null or o.id_interno is null or l.cod_ep <> o.cod_ep
