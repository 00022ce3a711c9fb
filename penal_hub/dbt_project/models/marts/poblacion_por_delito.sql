{#- Persons held on every registry cut-off by offence (the registry's generic and
    specific offence), legal situation and sex. -#}
select
    h.fecha_corte,
    h.delito_generico,
    h.delito_especifico,
    h.situacion_juridica,
    coalesce(p.sexo, 'NO_REGISTRADO') as sexo,
    cast(count(*) as integer) as poblacion
from {{ ref('situacion_juridica_historial') }} as h
left join {{ ref('persona') }} as p on p.persona_key = h.persona_key
group by h.fecha_corte, h.delito_generico, h.delito_especifico, h.situacion_juridica,
         coalesce(p.sexo, 'NO_REGISTRADO')
