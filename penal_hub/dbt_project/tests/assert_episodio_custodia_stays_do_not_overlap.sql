-- A stay ends on or after its start; an inmate has at most one open stay, and an
-- inmate's stays follow one another without overlapping.
with ordered as (
    select
        *,
        lead(fecha_inicio) over (partition by id_interno order by fecha_inicio, episodio_id) as siguiente_inicio,
        count(*) filter (where fecha_fin is null) over (partition by id_interno) as estancias_abiertas
    from {{ ref('episodio_custodia') }}
)

select episodio_id, fecha_inicio, fecha_fin, siguiente_inicio, estancias_abiertas
from ordered
where fecha_fin < fecha_inicio
   or estancias_abiertas > 1
   or (siguiente_inicio is not null and (fecha_fin is null or fecha_fin > siguiente_inicio))
